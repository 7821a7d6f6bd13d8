/**
 * The shared examples scenario against examples/koa (Koa 3), in-process.
 */
import { createServer } from 'node:http'
import { createApp } from '../../examples/koa/app.js'
import { scenario, serveNode } from './scenario.js'

scenario({
  name: 'koa',
  start(env, auth, port) {
    const callback = createApp(env, auth).callback()
    return serveNode(
      createServer((req, res) => void callback(req, res)),
      port,
    )
  },
})
