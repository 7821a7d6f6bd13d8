/**
 * The Express 4 example: the examples contract of oidc-session (see the README beside this file).
 * In this repository Express 4 is installed as `express4`; in an app of yours, import `express`.
 */
import express, { type Express } from 'express4'
import type { OidcSession } from 'oidc-session'
import { fromNodeRequest, oidcRouter, protect, sendWebResponse } from 'oidc-session/express'
import { createAuth, homePage, me, NO_STORE, userinfo, type ExampleEnv } from '../shared/index.js'

/** The Express 4 app serving the contract's routes. */
export function createApp(env: ExampleEnv, auth: OidcSession = createAuth(env)): Express {
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
  app.get('/api/userinfo', (req, res, next) => {
    userinfo(auth, fromNodeRequest(req))
      .then((response) => sendWebResponse(res, response))
      .catch(next)
  })
  return app
}
