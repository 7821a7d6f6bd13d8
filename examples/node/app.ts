/**
 * The node:http example: the examples contract of oidc-session (see the README beside this file).
 */
import type { RequestListener } from 'node:http'
import type { OidcSession } from 'oidc-session'
import { fromNodeRequest, handler, pathOf, protect, sendWebResponse } from 'oidc-session/node'
import { createAuth, homePage, me, NO_STORE, userinfo, type ExampleEnv } from '../shared/index.js'

/** The request listener serving the contract's routes. */
export function createApp(env: ExampleEnv, auth: OidcSession = createAuth(env)): RequestListener {
  return handler(auth, async (req, res) => {
    const path = pathOf(req)
    if (path === '/api/userinfo')
      return sendWebResponse(res, await userinfo(auth, fromNodeRequest(req)))
    if (path !== '/' && path !== '/api/me') return res.writeHead(404).end()
    const oidc = await protect(auth, req, res)
    if (!oidc) return
    if (path === '/')
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(homePage(oidc.session))
    else
      res
        .writeHead(200, { 'content-type': 'application/json', ...NO_STORE })
        .end(JSON.stringify(me(oidc.session)))
  })
}
