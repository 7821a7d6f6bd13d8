/**
 * The shared examples scenario against examples/express4 (Express 4), in-process.
 */
import { createServer } from 'node:http'
import { createApp } from '../../examples/express4/app.js'
import { scenario, serveNode } from './scenario.js'

scenario({
  name: 'express4',
  start: (env, auth, port) => serveNode(createServer(createApp(env, auth)), port),
})
