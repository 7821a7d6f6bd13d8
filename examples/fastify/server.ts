/**
 * Start the Fastify example: `npm run example -- fastify` (reads the contract's environment).
 */
import { run } from '../shared/index.js'
import { createApp } from './app.js'

run('fastify', async (env, port) => {
  const app = createApp(env)
  await app.listen({ port, host: '127.0.0.1' })
  return app
})
