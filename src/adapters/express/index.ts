/**
 * Express (4 and 5) adapter: the auth routes through `auth.handler()`, and middleware that
 * authenticates or protects routes. It imports no Express code at run time.
 *
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response as ExpressResponse } from 'express'
import type { OidcSession, AuthFailureReason, AuthSuccessReason } from '../../session/types.js'
import type { Session } from '../../session/session.js'
import { applySetCookies, fromNodeRequest, readFormBody, sendResponse } from '../node/index.js'

/** What the middleware puts on `req.oidc`. */
export interface ExpressOidcContext {
  /** The session, when authenticated. */
  session: Session | null
  /** Why there is a session or not (`valid`, `refreshed`, `none`, `refresh-rejected`…). */
  reason: AuthSuccessReason | AuthFailureReason
}

declare module 'express-serve-static-core' {
  interface Request {
    oidc?: ExpressOidcContext
  }
}

function handler(
  auth: OidcSession,
  run: (req: Request, res: ExpressResponse, next: NextFunction) => Promise<void>,
): RequestHandler {
  return (req, res, next) => {
    run(req, res, next).catch(async (error: unknown) => {
      if (res.headersSent) return next(error)
      try {
        await sendResponse(res, auth.errorResponse(fromNodeRequest(req), error))
      } catch (sendError) {
        next(sendError)
      }
    })
  }
}

/**
 * The auth routes of `auth.routes` (`GET /login`, `GET /callback`, `GET|POST /logout`,
 * `POST /backchannel-logout` by default), served by `auth.handler()`. A body already parsed by a
 * body parser is used as is; otherwise the form routes read it themselves.
 *
 * @param auth from `createOidcSession`
 * @returns the middleware (it calls `next()` for every other path)
 * @example
 * ```ts
 * app.use(oidcRouter(auth))
 * ```
 */
export function oidcRouter(auth: OidcSession): RequestHandler {
  const paths = new Set(Object.values(auth.routes))
  return handler(auth, async (req, res, next) => {
    if (!paths.has(req.path)) return next()
    const body = req.method === 'POST' ? await readFormBody(req) : undefined
    const response = await auth.handler({ ...fromNodeRequest(req), body })
    if (!response) return next()
    await sendResponse(res, response)
  })
}

/**
 * Middleware that loads the session (refreshing it when due) into `req.oidc` and continues either
 * way. Refreshed-session cookies are set on the response.
 *
 * @param auth from `createOidcSession`
 * @returns the middleware
 * @example
 * ```ts
 * app.get('/', authenticate(auth), (req, res) => res.send(req.oidc?.session ? 'hi' : 'sign in'))
 * ```
 */
export function authenticate(auth: OidcSession): RequestHandler {
  return handler(auth, async (req, res, next) => {
    const result = await auth.authenticate(fromNodeRequest(req))
    applySetCookies(res, result.headers)
    req.oidc = { session: result.session, reason: result.reason }
    next()
  })
}

/**
 * Middleware for protected routes: continues with `req.oidc.session` set, or answers for itself —
 * 401 JSON to API calls, 302 to login for navigations, 503 when the provider or store is down.
 *
 * @param auth from `createOidcSession`
 * @returns the middleware
 * @example
 * ```ts
 * app.get('/api/me', protect(auth), (req, res) => res.json({ sub: req.oidc!.session!.sub }))
 * ```
 */
export function protect(auth: OidcSession): RequestHandler {
  return handler(auth, async (req, res, next) => {
    const result = await auth.protect(fromNodeRequest(req))
    if (!result.ok) return sendResponse(res, result.response)
    applySetCookies(res, result.headers)
    req.oidc = { session: result.session, reason: result.reason }
    next()
  })
}

export { fromNodeRequest, sendResponse, applySetCookies }
