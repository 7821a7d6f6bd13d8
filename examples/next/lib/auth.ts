/**
 * The example's session manager, built from the examples-contract environment on first use.
 *
 * Next.js bundles `proxy.ts` apart from the app's routes, so a module-level singleton would give
 * the proxy and the routes two managers — two refresh single-flights, two in-memory revocation
 * lists. On the Node runtime they share one process, and `globalThis` holds the one manager both
 * use. With `REDIS_URL`, Redis holds the refresh lock, the recent-result cache, the back-channel
 * revocation list and the logout-token replay cache (several instances side by side);
 * `SESSION_STORE=redis` also keeps the sessions there (the cookie then holds only a ticket).
 */
import { Redis } from 'ioredis'
import {
  createOidcSession,
  isProviderName,
  PROVIDER_NAMES,
  type OidcSession,
  type ProviderName,
  type SessionStore,
} from 'oidc-session'
import {
  redisLock,
  redisReplayCache,
  redisResultCache,
  redisRevocationList,
  redisStore,
} from 'oidc-session/redis'
import { now, testClockEnabled } from './test-clock'

const MANAGER = Symbol.for('oidc-session.examples.next.auth')

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

/** `OIDC_PROVIDER` (optional): the explicit provider profile (as `examples/express` reads it). */
function providerFromEnv(): ProviderName | undefined {
  const value = process.env.OIDC_PROVIDER?.trim().toLowerCase()
  if (!value) return undefined
  if (!isProviderName(value))
    throw new Error(`OIDC_PROVIDER must be one of ${PROVIDER_NAMES.join(', ')}`)
  return value
}

function createAuth(): OidcSession {
  const appUrl = required('APP_URL').replace(/\/+$/, '')
  const storeKind = process.env.SESSION_STORE ?? 'cookie'
  if (storeKind !== 'cookie' && storeKind !== 'redis')
    throw new Error('SESSION_STORE must be "cookie" or "redis"')
  let redis: Redis | undefined
  if (process.env.REDIS_URL) {
    redis = new Redis(process.env.REDIS_URL)
    redis.on('error', (error: Error) => console.error(`redis: ${error.message}`))
  }
  let store: SessionStore | undefined
  if (storeKind === 'redis') {
    if (!redis) throw new Error('SESSION_STORE=redis needs REDIS_URL')
    store = redisStore({ client: redis, idleTimeout: 8 * 3600 })
  }
  const secret = process.env.OIDC_CLIENT_SECRET
  const provider = providerFromEnv()
  return createOidcSession({
    issuer: required('OIDC_ISSUER'),
    ...(provider ? { provider } : {}),
    client: { id: required('OIDC_CLIENT_ID'), ...(secret ? { secret } : {}) },
    redirectUri: `${appUrl}/callback`,
    postLogoutRedirectUri: `${appUrl}/`,
    secrets: required('SESSION_SECRET').split(','),
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
    ...(testClockEnabled() ? { now } : {}),
  })
}

/** The process's one session manager (created on first use, at request time). */
export function getAuth(): OidcSession {
  const shared = globalThis as typeof globalThis & { [MANAGER]?: OidcSession }
  return (shared[MANAGER] ??= createAuth())
}
