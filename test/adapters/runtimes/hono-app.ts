/**
 * A Hono app on the library's sources, for Web runtimes (Bun, Deno): `serve` is the runtime's own
 * server. Configured by the examples-contract environment; prints `ready <port>` once listening.
 */
import { Hono } from 'hono'
import { createOidcSession } from '../../../src/index.js'
import { oidcRouter, protect } from '../../../src/adapters/hono/index.js'

/** The environment (read by the runtime-specific launcher). */
export interface RuntimeEnv {
  OIDC_ISSUER: string
  OIDC_CLIENT_ID: string
  OIDC_CLIENT_SECRET: string
  APP_URL: string
  SESSION_SECRET: string
}

/** The app: the auth routes and a protected `/api/me`. */
export function createRuntimeApp(env: RuntimeEnv) {
  const auth = createOidcSession({
    issuer: env.OIDC_ISSUER,
    client: { id: env.OIDC_CLIENT_ID, secret: env.OIDC_CLIENT_SECRET },
    redirectUri: `${env.APP_URL}/callback`,
    secrets: [env.SESSION_SECRET],
  })
  return new Hono()
    .use(oidcRouter(auth))
    .get('/api/me', protect(auth), (c) => c.json({ sub: c.get('oidc').session.sub }))
}
