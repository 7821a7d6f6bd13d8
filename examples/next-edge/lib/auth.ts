/**
 * The example's session manager, built from the examples-contract environment on first use.
 *
 * The middleware runs on the Edge runtime (one V8 isolate per instance) and the pages and routes
 * on Node.js: each side gets its own manager, and `globalThis` keeps one per isolate or process.
 * The Edge runtime has no TCP, so no Redis: sessions live in cookies (`SESSION_STORE=cookie`, the
 * only choice here), refresh is single-flight per isolate, and the revocation list is in memory —
 * which is why the middleware answers back-channel logouts with a 400 (see the README).
 */
import {
  createOidcSession,
  isProviderName,
  PROVIDER_NAMES,
  type OidcSession,
  type ProviderName,
} from 'oidc-session'
import { now, testClockEnabled } from './test-clock'

const MANAGER = Symbol.for('oidc-session.examples.next-edge.auth')

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
  if ((process.env.SESSION_STORE ?? 'cookie') !== 'cookie')
    throw new Error('examples/next-edge supports SESSION_STORE=cookie only (no TCP on Edge)')
  if (process.env.REDIS_URL)
    console.warn('examples/next-edge ignores REDIS_URL: the Edge runtime cannot open TCP sockets')
  const secret = process.env.OIDC_CLIENT_SECRET
  const provider = providerFromEnv()
  return createOidcSession({
    issuer: required('OIDC_ISSUER'),
    ...(provider ? { provider } : {}),
    client: { id: required('OIDC_CLIENT_ID'), ...(secret ? { secret } : {}) },
    redirectUri: `${appUrl}/callback`,
    postLogoutRedirectUri: `${appUrl}/`,
    secrets: required('SESSION_SECRET').split(','),
    ...(testClockEnabled() ? { now } : {}),
  })
}

/** This isolate's (or process's) one session manager, created on first use. */
export function getAuth(): OidcSession {
  const shared = globalThis as typeof globalThis & { [MANAGER]?: OidcSession }
  return (shared[MANAGER] ??= createAuth())
}
