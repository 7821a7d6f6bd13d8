/**
 * The Express example: the examples contract of oidc-session (see the README beside this file).
 */
import express, { type Express } from 'express'
import {
  PROVIDER_NAMES,
  createOidcSession,
  isProviderName,
  type OidcSession,
  type ProviderName,
  type SessionStore,
} from 'oidc-session'
import { oidcRouter, protect, sendResponse, fromNodeRequest } from 'oidc-session/express'
import {
  redisLock,
  redisReplayCache,
  redisResultCache,
  redisRevocationList,
  redisStore,
} from 'oidc-session/redis'
import { Redis } from 'ioredis'

/** The environment the example reads (all names from the examples contract). */
export interface ExampleEnv {
  OIDC_ISSUER?: string
  OIDC_CLIENT_ID?: string
  OIDC_CLIENT_SECRET?: string
  APP_URL?: string
  PORT?: string
  SESSION_SECRET?: string
  SESSION_STORE?: string
  REDIS_URL?: string
  /** Optional: the explicit provider profile (`google`, `cognito`, `entra`, `auth0`, `okta`, `keycloak`, `zitadel`). */
  OIDC_PROVIDER?: string
}

/**
 * The provider profile named by `OIDC_PROVIDER`, or `undefined` (detect it) when unset or empty.
 * The other examples import this function (or copy it) so that they all read the variable alike.
 *
 * @param env the environment (`OIDC_PROVIDER`)
 * @returns the profile name to pass as the `provider` option, or `undefined`
 * @throws Error naming the accepted values when `OIDC_PROVIDER` names no profile
 */
export function providerFromEnv(env: {
  OIDC_PROVIDER?: string | undefined
}): ProviderName | undefined {
  const value = env.OIDC_PROVIDER?.trim().toLowerCase()
  if (!value) return undefined
  if (!isProviderName(value))
    throw new Error(`OIDC_PROVIDER must be one of ${PROVIDER_NAMES.join(', ')}`)
  return value
}

function required(env: ExampleEnv, name: keyof ExampleEnv): string {
  const value = env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

/** One shared ioredis client for `REDIS_URL`, living as long as the process. */
function redisClient(redisUrl: string): Redis {
  const client = new Redis(redisUrl)
  client.on('error', (error: Error) => console.error(`redis: ${error.message}`))
  return client
}

/**
 * `SESSION_STORE=redis`: the Redis session store (the cookie then holds only a ticket), idle
 * timeout 8 h.
 */
export function createRedisStore(redis: Redis | string): SessionStore {
  const client = typeof redis === 'string' ? redisClient(redis) : redis
  return redisStore({ client, idleTimeout: 8 * 3600 })
}

/**
 * Build the example's `OidcSession` from the environment. Whenever `REDIS_URL` is set, Redis holds
 * the refresh lock, the recent-result cache and the back-channel revocation list (so several
 * instances side by side refresh once and log out together), whatever `SESSION_STORE` says.
 */
export function createAuth(env: ExampleEnv, store?: SessionStore): OidcSession {
  const appUrl = required(env, 'APP_URL').replace(/\/+$/, '')
  const storeKind = env.SESSION_STORE ?? 'cookie'
  if (storeKind !== 'cookie' && storeKind !== 'redis')
    throw new Error('SESSION_STORE must be "cookie" or "redis"')
  const redis = env.REDIS_URL ? redisClient(env.REDIS_URL) : undefined
  if (storeKind === 'redis' && !store) {
    if (!redis) throw new Error('SESSION_STORE=redis needs REDIS_URL')
    store = createRedisStore(redis)
  }
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
    ...(store ? { store } : {}),
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

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The Express app serving the contract's routes. */
export function createApp(env: ExampleEnv, auth: OidcSession = createAuth(env)): Express {
  const app = express()
  app.disable('x-powered-by')
  app.use(oidcRouter(auth))

  app.get('/', protect(auth), (req, res) => {
    const session = req.oidc!.session!
    res.type('html').send(`<!doctype html><meta charset="utf-8"><title>oidc-session example</title>
<h1>Signed in as ${escape(session.sub)}</h1>
<p>Access token expires at ${session.tokens.expiresAt ? new Date(session.tokens.expiresAt * 1000).toISOString() : 'an unknown time'}.</p>
<p><a href="/api/me">/api/me</a> · <a href="/api/userinfo">/api/userinfo</a></p>
<form method="post" action="/logout"><button>Log out</button></form>`)
  })

  app.get('/api/me', protect(auth), (req, res) => {
    const session = req.oidc!.session!
    res.set('cache-control', 'no-store').json({
      sub: session.sub,
      sid: session.sid ?? null,
      expiresAt: session.tokens.expiresAt ?? null,
    })
  })

  app.get('/api/userinfo', (req, res, next) => {
    auth.userinfo(fromNodeRequest(req)).then(
      ({ claims, headers }) => {
        res.set('set-cookie', headers.getSetCookie()).set('cache-control', 'no-store').json(claims)
      },
      (error: unknown) =>
        sendResponse(res, auth.errorResponse(fromNodeRequest(req), error)).catch(next),
    )
  })

  return app
}
