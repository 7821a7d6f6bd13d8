/**
 * Start the Express 4 example: `npm run example -- express4` (reads the contract's environment).
 */
import { createServer } from 'node:http'
import { listen, run } from '../shared/index.js'
import { createApp } from './app.js'

run('express4', (env, port) => listen(createServer(createApp(env)), port))
