/**
 * What every example shares: the examples-contract environment, and the `OidcSession` built from
 * it. Each stack's `app.ts` holds only its framework glue.
 */
import {
  PROVIDER_NAMES,
  createOidcSession,
  isProviderName,
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
import { Redis } from 'ioredis'

/** The environment the examples read (all names from the examples contract). */
export interface ExampleEnv {
  OIDC_ISSUER?: string
  OIDC_CLIENT_ID?: string
  OIDC_CLIENT_SECRET?: string
  /** Optional: the provider profile (`google`, `cognito`, `entra`, `auth0`, `okta`, `keycloak`, `zitadel`). */
  OIDC_PROVIDER?: string
  APP_URL?: string
  PORT?: string
  SESSION_SECRET?: string
  SESSION_STORE?: string
  REDIS_URL?: string
}

/** Test hooks of {@link createAuth}; an app started from the environment needs none. */
export interface AuthOverrides {
  /** The Redis client to use instead of a new one for `REDIS_URL` (the caller closes it). */
  redis?: Redis
  /** Time source in milliseconds (tests move the clock). */
  now?: () => number
}

function required(env: ExampleEnv, name: keyof ExampleEnv): string {
  const value = env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

/**
 * The provider profile named by `OIDC_PROVIDER` (trimmed, any case), or `undefined` (the library
 * detects it) when unset or empty. Every example reads the variable through this function.
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

/** One ioredis client for `REDIS_URL`, living as long as the process. */
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
 * the refresh lock, the recent-result cache, the back-channel revocation list and the logout-token
 * replay cache (so several instances side by side refresh once and log out together), whatever
 * `SESSION_STORE` says.
 *
 * @param env the contract's environment
 * @param store a session store to use instead of the one `SESSION_STORE` names
 * @param overrides test hooks
 */
export function createAuth(
  env: ExampleEnv,
  store?: SessionStore,
  overrides: AuthOverrides = {},
): OidcSession {
  const appUrl = required(env, 'APP_URL').replace(/\/+$/, '')
  const storeKind = env.SESSION_STORE || 'cookie'
  if (storeKind !== 'cookie' && storeKind !== 'redis')
    throw new Error('SESSION_STORE must be "cookie" or "redis"')
  const redis = overrides.redis ?? (env.REDIS_URL ? redisClient(env.REDIS_URL) : undefined)
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
    ...(overrides.now ? { now: overrides.now } : {}),
  })
}
