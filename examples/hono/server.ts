/**
 * Start the Hono example on Node: `npm run example -- hono` (reads the contract's environment).
 */
import type { Server } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import { listen, run } from '../shared/index.js'
import { createApp } from './app.js'

run('hono', (env, port) =>
  listen(createAdaptorServer({ fetch: createApp(env).fetch }) as Server, port),
)
