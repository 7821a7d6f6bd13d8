/**
 * Start the Express example: `npm run example -- express` (reads the contract's environment).
 */
import { createApp, type ExampleEnv } from './app.js'

const env = process.env as ExampleEnv
const port = Number(env.PORT ?? 3000)
const server = createApp(env).listen(port, '127.0.0.1', () => {
  console.log(`express example listening on ${env.APP_URL ?? `http://127.0.0.1:${port}`}`)
})
const stop = () => server.close(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
