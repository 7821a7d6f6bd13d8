/**
 * The shared examples scenario against examples/fastify (Fastify 5), in-process.
 */
import { createApp } from '../../examples/fastify/app.js'
import { scenario } from './scenario.js'

scenario({
  name: 'fastify',
  async start(env, auth, port) {
    const app = createApp(env, auth)
    await app.listen({ port, host: '127.0.0.1' })
    return { close: () => app.close() }
  },
})
