/**
 * The Koa example: the examples contract of oidc-session (see the README beside this file).
 */
import Koa, { type Middleware } from 'koa'
import type { OidcSession } from 'oidc-session'
import { fromNodeRequest, oidcRouter, protect, sendWebResponse } from 'oidc-session/koa'
import { createAuth, homePage, me, NO_STORE, userinfo, type ExampleEnv } from '../shared/index.js'

/** The Koa app serving the contract's routes. */
export function createApp(env: ExampleEnv, auth: OidcSession = createAuth(env)): Koa {
  const routes: Record<string, Middleware> = {
    '/': protect(auth, (ctx) => {
      ctx.type = 'html'
      ctx.body = homePage(ctx.state.oidc.session)
    }),
    '/api/me': protect(auth, (ctx) => {
      ctx.set(NO_STORE)
      ctx.body = me(ctx.state.oidc.session)
    }),
    '/api/userinfo': async (ctx) =>
      sendWebResponse(ctx, await userinfo(auth, fromNodeRequest(ctx.req))),
  }
  return new Koa()
    .use(oidcRouter(auth))
    .use((ctx, next) => (ctx.method === 'GET' ? (routes[ctx.path] ?? next) : next)(ctx, next))
}
