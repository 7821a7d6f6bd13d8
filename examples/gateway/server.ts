/**
 * Start the gateway example: `npm run example -- gateway` (reads the contract's environment plus
 * `UPSTREAM_URL`, `API_RESOURCE`, `DPOP`, `UPSTREAM_TIMEOUT_MS`).
 */
import { createServer } from 'node:http'
import { createGateway, type GatewayEnv } from './app.js'

const env = process.env as GatewayEnv
const port = Number(env.PORT ?? 3000)
const upstream = new URL(env.UPSTREAM_URL ?? 'missing:')
if (
  upstream.protocol === 'http:' &&
  !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(upstream.hostname)
)
  console.warn(
    `gateway: UPSTREAM_URL is plain HTTP to ${upstream.hostname}: tokens travel in clear text`,
  )
const server = createServer(createGateway(env))
server.listen(port, '127.0.0.1', () => {
  console.log(
    `gateway example listening on ${env.APP_URL ?? `http://127.0.0.1:${port}`}, forwarding to ${upstream.origin}`,
  )
})
const stop = () => server.close(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
