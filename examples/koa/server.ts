/**
 * Start the Koa example: `npm run example -- koa` (reads the contract's environment).
 */
import { createServer } from 'node:http'
import { listen, run } from '../shared/index.js'
import { createApp } from './app.js'

run('koa', (env, port) => {
  const callback = createApp(env).callback()
  return listen(
    createServer((req, res) => void callback(req, res)),
    port,
  )
})
