/**
 * Express (4 and 5) adapter (`oidc-session/express`): the auth routes through `auth.handler()`,
 * and middleware that protects routes or makes login optional. Built on `oidc-session/node`; it
 * imports no Express code at run time.
 *
 * @module oidc-session/express
 */
import type { NextFunction, Request, RequestHandler, Response as ExpressResponse } from 'express'
import type { ParamsDictionary } from 'express-serve-static-core'
import { OidcSessionError } from '../../errors.js'
import type { OidcSession, ProtectOptions } from '../../session/types.js'
import { toContext, type OidcContext, type ProtectedOidcContext } from '../context.js'
import {
  appendSetCookies,
  applySetCookies,
  fromNodeRequest,
  pathOf,
  sendResponse,
  sendWebResponse,
  toHandlerRequest,
  toWebRequest,
} from '../node/index.js'

export type { OidcContext, ProtectedOidcContext }

/** @deprecated Use {@link OidcContext} (it adds `ok`, and `warning` / `error`). */
export type ExpressOidcContext = OidcContext

declare module 'express-serve-static-core' {
  interface Request {
    /**
     * Set by `protect()` and `authenticate()` of `oidc-session/express`: the session, or why
     * there is none. In a handler passed to `protect(auth, handler)` it is typed with the session.
     */
    oidc?: OidcContext
  }
}

/** An Express request after `protect()`: `req.oidc.session` is there. */
export type ProtectedRequest<P = ParamsDictionary> = Request<P> & { oidc: ProtectedOidcContext }

/** An Express request after `authenticate()`: `req.oidc` is there (with or without a session). */
export type AuthenticatedRequest<P = ParamsDictionary> = Request<P> & { oidc: OidcContext }

/**
 * A route handler run by `protect(auth, handler)`: `req.oidc.session` is typed as present. It may
 * be async (on Express 4 too): a rejection reaches `next(error)`, or — for an `OidcSessionError`,
 * such as `auth.userinfo()` failing — becomes the library's answer (401/302, 503).
 */
export type ProtectedHandler<P = ParamsDictionary> = (
  req: ProtectedRequest<P>,
  res: ExpressResponse,
  next: NextFunction,
) => unknown

/** A route handler run by `authenticate(auth, handler)`: `req.oidc` is typed as present. */
export type AuthenticatedHandler<P = ParamsDictionary> = (
  req: AuthenticatedRequest<P>,
  res: ExpressResponse,
  next: NextFunction,
) => unknown

function isClientGone(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE'
}

/** Run `step`, turning a library error into its answer and anything else into `next(error)`. */
function guard(
  auth: OidcSession,
  req: Request,
  res: ExpressResponse,
  next: NextFunction,
  step: () => Promise<unknown>,
): void {
  step().catch((error: unknown) => {
    if (isClientGone(error)) return
    if (!(error instanceof OidcSessionError) || res.headersSent) return next(error)
    sendWebResponse(res, auth.errorResponse(fromNodeRequest(req), error)).catch(
      (sendError: unknown) => isClientGone(sendError) || next(sendError),
    )
  })
}

/**
 * The auth routes of `auth.routes` (`GET /login`, `GET|POST /callback`, `GET|POST /logout`,
 * `POST /backchannel-logout` by default), served by `auth.handler()`; every other request goes on
 * to `next()`. Mount it before your routes, at the root (the paths are absolute, so mounting
 * under a prefix does not move them). A body already parsed by `express.urlencoded()` (or any
 * body parser) is used as is; otherwise the POST routes read it themselves (64 KiB at most).
 *
 * @param auth from `createOidcSession`
 * @returns the middleware
 * @example
 * ```ts
 * app.use(oidcRouter(auth))
 * ```
 */
export function oidcRouter(auth: OidcSession): RequestHandler {
  const paths = new Set(Object.values(auth.routes))
  return (req, res, next) => {
    if (!paths.has(pathOf(req))) return next()
    guard(auth, req, res, next, async () => {
      const response = await auth.handler(toHandlerRequest(req))
      return response ? sendWebResponse(res, response) : next()
    })
  }
}

/**
 * Login optional: load the session (refreshing it when due) into `req.oidc` and continue either
 * way; refreshed-session cookies are appended to the response, whatever the handler sends.
 *
 * - `authenticate(auth)`: middleware; `req.oidc` is typed optional (`OidcContext | undefined`).
 * - `authenticate(auth, handler)`: a route handler whose `req.oidc` is typed as present.
 *
 * @param auth from `createOidcSession`
 * @returns the middleware
 * @example
 * ```ts
 * app.get('/', authenticate(auth, (req, res) => {
 *   res.send(req.oidc.ok ? `hello ${req.oidc.session.sub}` : 'sign in')
 * }))
 * ```
 */
export function authenticate(auth: OidcSession): RequestHandler
/**
 * Login optional: load the session (refreshing it when due) into `req.oidc` and continue either
 * way; refreshed-session cookies are appended to the response, whatever the handler sends.
 *
 * - `authenticate(auth)`: middleware; `req.oidc` is typed optional (`OidcContext | undefined`).
 * - `authenticate(auth, handler)`: a route handler whose `req.oidc` is typed as present.
 *
 * @param auth from `createOidcSession`
 * @param handler the route handler to run with `req.oidc` set
 * @returns the route handler
 * @example
 * ```ts
 * app.get('/', authenticate(auth, (req, res) => {
 *   res.send(req.oidc.ok ? `hello ${req.oidc.session.sub}` : 'sign in')
 * }))
 * ```
 */
export function authenticate<P = ParamsDictionary>(
  auth: OidcSession,
  handler: AuthenticatedHandler<P>,
): RequestHandler<P>
export function authenticate(auth: OidcSession, handler?: AuthenticatedHandler): RequestHandler {
  return (req, res, next) =>
    guard(auth, req, res, next, async () => {
      const result = await auth.authenticate(fromNodeRequest(req))
      appendSetCookies(res, result.headers)
      const oidc = toContext(result)
      req.oidc = oidc
      return handler ? handler(Object.assign(req, { oidc }), res, next) : next()
    })
}

/**
 * Protect a route: continue with the session in `req.oidc`, or answer for it — 401 JSON to API
 * calls, 302 to login for navigations, 503 when the provider or store is down. Refreshed-session
 * cookies are appended to whatever the route sends.
 *
 * - `protect(auth)`: middleware; `req.oidc` is then typed optional.
 * - `protect(auth, { acr, maxAge, claims })`: the same middleware with step-up (see
 *   `OidcSession.protect`): a session whose authentication falls short gets `401` with
 *   `WWW-Authenticate: Bearer error="insufficient_user_authentication"` (API call) or `302` to a
 *   login asking for `acr_values` / `max_age` (navigation).
 * - `protect(auth, handler, options?)`: a route handler whose `req.oidc.session` is typed as
 *   present (no `!`), async allowed on Express 4 too.
 *
 * @param auth from `createOidcSession`
 * @param options what the session's authentication must satisfy (step-up, RFC 9470)
 * @returns the middleware
 * @example
 * ```ts
 * app.get('/orders', protect(auth), listOrders) // req.oidc?.session in listOrders
 * app.use('/admin', protect(auth, { acr: ['urn:example:mfa'] }))
 * ```
 */
export function protect(auth: OidcSession, options?: ProtectOptions): RequestHandler
/**
 * Protect a route: continue with the session in `req.oidc`, or answer for it — 401 JSON to API
 * calls, 302 to login for navigations, 503 when the provider or store is down. Refreshed-session
 * cookies are appended to whatever the route sends.
 *
 * - `protect(auth, handler)`: a route handler whose `req.oidc.session` is typed as present (no
 *   `!`), async allowed on Express 4 too.
 * - `protect(auth, handler, { acr, maxAge, claims })`: step-up (see `OidcSession.protect`).
 *
 * @param auth from `createOidcSession`
 * @param handler the route handler to run with the session
 * @param options what the session's authentication must satisfy (step-up, RFC 9470)
 * @returns the route handler
 * @example
 * ```ts
 * app.get('/api/me', protect(auth, (req, res) => res.json({ sub: req.oidc.session.sub })))
 * app.get('/api/admin', protect(auth, (req, res) => res.json({ ok: true }), { acr: ['mfa'] }))
 * ```
 */
export function protect<P = ParamsDictionary>(
  auth: OidcSession,
  handler: ProtectedHandler<P>,
  options?: ProtectOptions,
): RequestHandler<P>
export function protect(
  auth: OidcSession,
  handlerOrOptions?: ProtectedHandler | ProtectOptions,
  stepUp?: ProtectOptions,
): RequestHandler {
  const handler = typeof handlerOrOptions === 'function' ? handlerOrOptions : undefined
  const options = typeof handlerOrOptions === 'function' ? stepUp : handlerOrOptions
  return (req, res, next) =>
    guard(auth, req, res, next, async () => {
      const result = await auth.protect(fromNodeRequest(req), options)
      if (!result.ok) return sendWebResponse(res, result.response)
      appendSetCookies(res, result.headers)
      const oidc = toContext(result)
      req.oidc = oidc
      return handler ? handler(Object.assign(req, { oidc }), res, next) : next()
    })
}

export {
  appendSetCookies,
  applySetCookies,
  fromNodeRequest,
  sendResponse,
  sendWebResponse,
  toHandlerRequest,
  toWebRequest,
}
