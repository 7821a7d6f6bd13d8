/**
 * The Fastify example: the examples contract of oidc-session (see the README beside this file).
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { OidcSession } from 'oidc-session'
import { fromNodeRequest, oidcPlugin, protect } from 'oidc-session/fastify'
import { createAuth, homePage, me, NO_STORE, userinfo, type ExampleEnv } from '../shared/index.js'

/** The Fastify app serving the contract's routes. */
export function createApp(env: ExampleEnv, auth: OidcSession = createAuth(env)): FastifyInstance {
  const app = Fastify()
  app.register(oidcPlugin, { auth })
  app.get(
    '/',
    protect(auth, (req, reply) => reply.type('text/html').send(homePage(req.oidc.session))),
  )
  app.get(
    '/api/me',
    protect(auth, (req, reply) => reply.headers(NO_STORE).send(me(req.oidc.session))),
  )
  app.get('/api/userinfo', (req) => userinfo(auth, fromNodeRequest(req.raw)))
  return app
}
