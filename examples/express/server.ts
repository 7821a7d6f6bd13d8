/**
 * Start the Express example: `npm run example -- express` (reads the contract's environment).
 */
import { createServer } from 'node:http'
import { listen, run } from '../shared/index.js'
import { createApp } from './app.js'

run('express', (env, port) => listen(createServer(createApp(env)), port))
