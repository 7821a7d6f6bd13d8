/**
 * The gateway example: a `node:http` reverse proxy in front of `UPSTREAM_URL` that keeps the
 * user's session and forwards every request with a fresh access token (see the README beside this
 * file).
 */
import { once } from 'node:events'
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { createOidcSession, idTokenClaims, type OidcSession, type SessionStore } from 'oidc-session'
import {
  redisLock,
  redisReplayCache,
  redisResultCache,
  redisRevocationList,
} from 'oidc-session/redis'
import { Redis } from 'ioredis'
import { createRedisStore, providerFromEnv } from '../shared/index.js'

/** The environment the gateway reads: the examples contract, plus the gateway's own names. */
export interface GatewayEnv {
  OIDC_ISSUER?: string
  OIDC_CLIENT_ID?: string
  OIDC_CLIENT_SECRET?: string
  APP_URL?: string
  PORT?: string
  SESSION_SECRET?: string
  SESSION_STORE?: string
  REDIS_URL?: string
  /** Optional: the provider profile (`google`, `cognito`, `entra`, `auth0`, `okta`, `keycloak`, `zitadel`). */
  OIDC_PROVIDER?: string
  /** Required: where every path outside the auth routes is forwarded (a path in it is a prefix). */
  UPSTREAM_URL?: string
  /** Optional: the resource indicator (RFC 8707) of the upstream's token. */
  API_RESOURCE?: string
  /** Optional: `1` for sender-constrained (DPoP) tokens. */
  DPOP?: string
  /** Optional: answer 504 when the upstream has not answered within this many milliseconds. */
  UPSTREAM_TIMEOUT_MS?: string
}

function required(env: GatewayEnv, name: keyof GatewayEnv): string {
  const value = env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

/** What a test may set beside the environment. */
export interface GatewayOverrides {
  store?: SessionStore
  /** Time source in milliseconds (tests move the gateway's clock past token expiry). */
  now?: () => number
  /** The Redis client to use for `REDIS_URL` (default: a new one, living as long as the process). */
  redis?: Redis
}

/** Build the gateway's `OidcSession` from the environment (Redis for everything shared when `REDIS_URL` is set). */
export function createGatewayAuth(env: GatewayEnv, overrides: GatewayOverrides = {}): OidcSession {
  let store = overrides.store
  const appUrl = required(env, 'APP_URL').replace(/\/+$/, '')
  const storeKind = env.SESSION_STORE ?? 'cookie'
  if (storeKind !== 'cookie' && storeKind !== 'redis')
    throw new Error('SESSION_STORE must be "cookie" or "redis"')
  let redis = env.REDIS_URL ? overrides.redis : undefined
  if (env.REDIS_URL && !redis) {
    redis = new Redis(env.REDIS_URL)
    redis.on('error', (error: Error) => console.error(`redis: ${error.message}`))
  }
  if (storeKind === 'redis' && !store) {
    if (!redis) throw new Error('SESSION_STORE=redis needs REDIS_URL')
    store = createRedisStore(redis)
  }
  const resource = env.API_RESOURCE || undefined
  const provider = providerFromEnv(env)
  return createOidcSession({
    issuer: required(env, 'OIDC_ISSUER'),
    ...(provider ? { provider } : {}),
    client: {
      id: required(env, 'OIDC_CLIENT_ID'),
      ...(env.OIDC_CLIENT_SECRET ? { secret: env.OIDC_CLIENT_SECRET } : {}),
    },
    redirectUri: `${appUrl}/callback`,
    postLogoutRedirectUri: `${appUrl}/`,
    secrets: required(env, 'SESSION_SECRET').split(','),
    // `email` feeds X-Forwarded-Email and X-Auth-Request-Email.
    scope: 'openid profile email offline_access',
    // The session's own token is the upstream's: `resource` on the authorization request, the
    // code grant and every refresh grant.
    ...(resource ? { resources: { default: resource } } : {}),
    dpop: env.DPOP === '1',
    ...(store ? { store } : {}),
    ...(overrides.now ? { now: overrides.now } : {}),
    ...(redis
      ? {
          refresh: { lock: redisLock(redis), resultCache: redisResultCache(redis) },
          logout: {
            revocationList: redisRevocationList(redis),
            replayCache: redisReplayCache(redis),
          },
        }
      : {}),
  })
}

// --- Node glue: IncomingMessage → Request, Response → ServerResponse, both streaming. ----------
// To be replaced by `toWebRequest` / `sendWebResponse` from `oidc-session/node` once it lands.

function toWebRequest(req: IncomingMessage, res: ServerResponse, origin: string): Request {
  const headers = new Headers()
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    try {
      headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string)
    } catch {
      // a header Fetch refuses is dropped
    }
  }
  const method = req.method ?? 'GET'
  const aborted = new AbortController()
  res.on('close', () => {
    if (!res.writableFinished) aborted.abort()
  })
  const target = req.url?.startsWith('/') ? req.url : '/'
  return new Request(`${origin}${target}`, {
    method,
    headers,
    signal: aborted.signal,
    ...(method === 'GET' || method === 'HEAD'
      ? {}
      : { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' }),
  } as RequestInit)
}

async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value)
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) res.setHeader('set-cookie', cookies)
  if (!response.body) {
    res.end()
    return
  }
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (res.destroyed) return
    if (!res.write(chunk)) await once(res, 'drain')
  }
  res.end()
}
// ------------------------------------------------------------------------------------------------

/**
 * `GET /oauth2/auth` for nginx `auth_request`: `202` with `X-Auth-Request-User` and
 * `X-Auth-Request-Email` for a valid session (refreshed first when due), `401` otherwise; never
 * a redirect (nginx accepts only 2xx, 401 and 403 from it).
 */
async function authRequest(auth: OidcSession, request: Request): Promise<Response> {
  const result = await auth.authenticate(request).catch(() => undefined)
  if (!result?.ok) {
    const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' })
    for (const line of result?.headers.getSetCookie() ?? []) headers.append('set-cookie', line)
    return new Response(JSON.stringify({ error: 'unauthorized' }), { status: 401, headers })
  }
  const headers = new Headers(result.headers)
  headers.set('cache-control', 'no-store')
  headers.set('x-auth-request-user', result.session.sub)
  const email = idTokenClaims(result.session).email
  if (typeof email === 'string') headers.set('x-auth-request-email', email)
  return new Response(null, { status: 202, headers })
}

/** The gateway as a `node:http` request listener. */
export function createGateway(env: GatewayEnv, auth = createGatewayAuth(env)): RequestListener {
  const origin = new URL(required(env, 'APP_URL')).origin
  const upstream = new URL(required(env, 'UPSTREAM_URL'))
  const timeoutMs = env.UPSTREAM_TIMEOUT_MS ? Number(env.UPSTREAM_TIMEOUT_MS) : undefined
  if (timeoutMs !== undefined && !(timeoutMs > 0))
    throw new Error('UPSTREAM_TIMEOUT_MS must be a positive number')
  const options = {
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    // The operator chose the upstream: plain HTTP to a host in the same network is theirs to allow.
    allowInsecureRequests: upstream.protocol === 'http:',
  }

  return (req, res) => {
    const request = toWebRequest(req, res, origin)
    const answer = async () => {
      const path = new URL(request.url).pathname
      if (path === '/oauth2/auth' && (request.method === 'GET' || request.method === 'HEAD'))
        return authRequest(auth, request)
      return (
        (await auth.handler(request)) ??
        (await auth.forward(request, upstream, {
          ...options,
          ...(req.socket.remoteAddress ? { clientAddress: req.socket.remoteAddress } : {}),
        }))
      )
    }
    answer()
      .then((response) => sendWebResponse(res, response))
      .catch((error: unknown) => {
        console.error(`gateway: ${error instanceof Error ? error.message : 'error'}`)
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
        res.end('internal error')
      })
  }
}
