/**
 * The shared examples scenario against examples/node (plain node:http), in-process.
 */
import { createServer } from 'node:http'
import { createApp } from '../../examples/node/app.js'
import { scenario, serveNode } from './scenario.js'

scenario({
  name: 'node',
  start: (env, auth, port) => serveNode(createServer(createApp(env, auth)), port),
})
