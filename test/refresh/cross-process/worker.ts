/**
 * One application process of the cross-process tests and bench: `createOidcSession` with the
 * cookie store (routes under `/c/`) and with the Redis store (`/r/`), both with `redisLock` and
 * `redisResultCache` on one shared Redis, served over HTTP on loopback.
 *
 * Run with `node --import tsx worker.ts`; configured by environment:
 * `PORT`, `APP_URL` (origin of the login callback), `OIDC_ISSUER`, `OIDC_CLIENT_ID`,
 * `OIDC_CLIENT_SECRET`, `SESSION_SECRET`, `REDIS_URL`, `LEASE_MS` (lock lease), `WORKER` (a name),
 * `DEBUG_WORKER=1` (print why requests fail; `workers.ts` echoes worker output then), `SLOW_REFRESH=1` (hold every refresh-token request before sending it, announcing `HOLDING` on
 * stdout — the SIGKILL test kills the process there), `TIMING=1` (add arrival and answer times,
 * epoch ms, to each `/me` answer — for the bench).
 *
 * Test-only routes: `POST /__clock?offset=<seconds>` shifts the app's clock, `GET /__redis` pings,
 * `GET /__token-call` answers the start/end (epoch ms) of this process's last refresh-token call.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { Redis } from 'ioredis'
import { fromNodeRequest, sendResponse, applySetCookies } from '../../../src/adapters/node/index.js'
import { createOidcSession, type OidcSession } from '../../../src/index.js'
import {
  redisLock,
  redisResultCache,
  redisStore,
  toRedisClient,
} from '../../../src/stores/redis/index.js'

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`worker: ${name} is required`)
  return value
}

const port = Number(env('PORT'))
const appUrl = env('APP_URL')
const worker = process.env.WORKER ?? String(process.pid)
const slow = process.env.SLOW_REFRESH === '1'
const timing = process.env.TIMING === '1'
let offsetSeconds = 0
// The provider call of the last refresh made by this process (for the bench).
let tokenCall: { start: number; end: number } | undefined

// One retry: during an outage commands fail within one reconnect attempt, not after 20.
const io = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: 1 })
io.on('error', () => undefined)
// Generous: 250 concurrent requests per process on a shared 2-core machine stall event loops.
const redis = toRedisClient(io, { timeoutMs: Number(process.env.REDIS_TIMEOUT_MS ?? 5000) })

const timedFetch: typeof fetch = async (input, init) => {
  const body = init?.body
  const refresh = body instanceof URLSearchParams && body.get('grant_type') === 'refresh_token'
  if (!refresh) return fetch(input, init)
  if (slow) {
    process.stdout.write('HOLDING\n')
    await new Promise(() => undefined) // until SIGKILL
  }
  // The whole round trip, body included.
  const start = performance.timeOrigin + performance.now()
  const response = await fetch(input, init)
  const bytes = await response.arrayBuffer()
  tokenCall = { start, end: performance.timeOrigin + performance.now() }
  return new Response(bytes, response)
}

function auth(prefix: 'c' | 'r'): OidcSession {
  return createOidcSession({
    issuer: env('OIDC_ISSUER'),
    client: { id: env('OIDC_CLIENT_ID'), secret: env('OIDC_CLIENT_SECRET') },
    redirectUri: `${appUrl}/${prefix}/callback`,
    postLogoutRedirectUri: `${appUrl}/`,
    secrets: [env('SESSION_SECRET')],
    ...(prefix === 'r' ? { store: redisStore({ client: redis }) } : {}),
    refresh: {
      lock: redisLock(redis),
      resultCache: redisResultCache(redis),
      lockLeaseMs: Number(process.env.LEASE_MS ?? 5000),
    },
    http: { fetch: timedFetch },
    now: () => Date.now() + offsetSeconds * 1000,
  })
}

const sessions = { c: auth('c'), r: auth('r') }

function json(res: ServerResponse, status: number, body: unknown, headers?: Headers): void {
  if (headers) applySetCookies(res, headers)
  res.statusCode = status
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify(body))
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  if (url.pathname === '/__clock' && req.method === 'POST') {
    offsetSeconds = Number(url.searchParams.get('offset'))
    return json(res, 200, { offsetSeconds })
  }
  if (url.pathname === '/__token-call') return json(res, 200, { tokenCall: tokenCall ?? null })
  if (url.pathname === '/__redis') {
    const pong = await redis.command(undefined, ['PING']).catch(() => 'down')
    return json(res, pong === 'PONG' ? 200 : 503, { pong })
  }
  const match = /^\/(c|r)\/(login|callback|me)$/.exec(url.pathname)
  if (!match) return json(res, 404, { error: 'not found' })
  const session = sessions[match[1] as 'c' | 'r']
  const request = fromNodeRequest(req)
  if (match[2] === 'login') {
    return sendResponse(res, await session.login(request, { returnTo: `/${match[1]}/me` }))
  }
  if (match[2] === 'callback') return sendResponse(res, await session.callback(request))
  const arrived = performance.timeOrigin + performance.now()
  const result = await session.authenticate(request)
  const answered = performance.timeOrigin + performance.now()
  if (!result.session) {
    // DEBUG_WORKER=1: why a request failed (error names and messages carry no secret).
    if (process.env.DEBUG_WORKER) {
      const error = 'error' in result ? (result.error as Error | undefined) : undefined
      const cause = error?.cause instanceof Error ? ` (${error.cause.message})` : ''
      process.stderr.write(`FAILED ${result.reason} ${error?.message ?? ''}${cause}\n`)
    }
    return json(res, 401, { reason: result.reason, worker }, result.headers)
  }
  return json(
    res,
    200,
    {
      sub: result.session.sub,
      reason: result.reason,
      worker,
      ...(timing ? { arrived, answered } : {}),
    },
    result.headers,
  )
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    json(res, 500, { error: error instanceof Error ? error.name : 'error', worker })
  })
})
server.keepAliveTimeout = 30_000
server.listen(port, '127.0.0.1', () => process.stdout.write(`READY ${port}\n`))
