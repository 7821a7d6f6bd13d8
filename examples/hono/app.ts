/**
 * The Hono example: the examples contract of oidc-session (see the README beside this file). The
 * app is a Web `fetch` handler: `server.ts` serves it on Node with `@hono/node-server`; Bun, Deno
 * and Workers serve `app.fetch` as is.
 */
import { Hono } from 'hono'
import type { OidcSession } from 'oidc-session'
import { oidcRouter, protect } from 'oidc-session/hono'
import { createAuth, homePage, me, NO_STORE, userinfo, type ExampleEnv } from '../shared/index.js'

/** The Hono app serving the contract's routes. */
export function createApp(env: ExampleEnv, auth: OidcSession = createAuth(env)) {
  return new Hono()
    .use(oidcRouter(auth))
    .get('/', protect(auth), (c) => c.html(homePage(c.get('oidc').session)))
    .get('/api/me', protect(auth), (c) => c.json(me(c.get('oidc').session), 200, NO_STORE))
    .get('/api/userinfo', (c) => userinfo(auth, c.req.raw))
}
