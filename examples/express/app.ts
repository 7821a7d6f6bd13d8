/**
 * The Express 5 example: the examples contract of oidc-session (see the README beside this file).
 */
import express, { type Express } from 'express'
import type { OidcSession } from 'oidc-session'
import { fromNodeRequest, oidcRouter, protect, sendWebResponse } from 'oidc-session/express'
import { createAuth, homePage, me, NO_STORE, userinfo, type ExampleEnv } from '../shared/index.js'

export { createAuth, createRedisStore, providerFromEnv, type ExampleEnv } from '../shared/index.js'

/**
 * The `acr` values `/api/admin` accepts (space-separated `OIDC_ADMIN_ACR`, optional): a session
 * whose `acr` is none of them is stepped up (RFC 9470). Name every level that is enough.
 */
export const DEFAULT_ADMIN_ACR = 'urn:oidc-session:mfa'

/** The Express app serving the contract's routes, and the step-up route `/api/admin`. */
export function createApp(
  env: ExampleEnv & { OIDC_ADMIN_ACR?: string },
  auth: OidcSession = createAuth(env),
): Express {
  const adminAcr = (env.OIDC_ADMIN_ACR || DEFAULT_ADMIN_ACR).split(' ').filter(Boolean)
  const app = express().disable('x-powered-by')
  app.use(oidcRouter(auth))
  app.get(
    '/',
    protect(auth, (req, res) => res.type('html').send(homePage(req.oidc.session))),
  )
  app.get(
    '/api/me',
    protect(auth, (req, res) => res.set(NO_STORE).json(me(req.oidc.session))),
  )
  // Step-up: API calls without the level get 401 + `WWW-Authenticate: Bearer
  // error="insufficient_user_authentication", acr_values="…"`; navigations go to login for it.
  app.get(
    '/api/admin',
    protect(
      auth,
      (req, res) => res.set(NO_STORE).json({ ...me(req.oidc.session), acr: req.oidc.session.acr }),
      { acr: adminAcr },
    ),
  )
  app.get('/api/userinfo', async (req, res) => {
    await sendWebResponse(res, await userinfo(auth, fromNodeRequest(req)))
  })
  return app
}
