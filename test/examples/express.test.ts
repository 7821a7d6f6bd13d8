/**
 * The shared examples scenario against examples/express (Express 5), in-process.
 */
import { createServer } from 'node:http'
import { createApp } from '../../examples/express/app.js'
import { scenario, serveNode } from './scenario.js'

scenario({
  name: 'express',
  start: (env, auth, port) => serveNode(createServer(createApp(env, auth)), port),
})
