/**
 * The shared examples scenario against examples/hono, served on Node by @hono/node-server,
 * in-process.
 */
import type { Server } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import { createApp } from '../../examples/hono/app.js'
import { scenario, serveNode } from './scenario.js'

scenario({
  name: 'hono',
  start: (env, auth, port) =>
    serveNode(createAdaptorServer({ fetch: createApp(env, auth).fetch }) as Server, port),
})
