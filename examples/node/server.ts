/**
 * Start the node:http example: `npm run example -- node` (reads the contract's environment).
 */
import { createServer } from 'node:http'
import { listen, run } from '../shared/index.js'
import { createApp } from './app.js'

run('node', (env, port) => listen(createServer(createApp(env)), port))
