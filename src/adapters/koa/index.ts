/**
 * Koa (2 and 3) adapter (`oidc-session/koa`): the auth routes through `auth.handler()`, and
 * middleware that protects routes or makes login optional, with the session in `ctx.state.oidc`.
 * Built on `oidc-session/node`; it imports no Koa code at run time.
 *
 * @module oidc-session/koa
 */
import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import type { DefaultContext, Middleware, ParameterizedContext } from 'koa'
import { OidcSessionError } from '../../errors.js'
import type { OidcSession, ProtectOptions } from '../../session/types.js'
import { toContext, type OidcContext, type ProtectedOidcContext } from '../context.js'
import { appendSetCookies, fromNodeRequest, pathOf, toHandlerRequest } from '../node/index.js'

export type { OidcContext, ProtectedOidcContext }

/** `ctx.state` after `protect()`. */
export interface ProtectedState {
  oidc: ProtectedOidcContext
}

/** `ctx.state` after `authenticate()`. */
export interface AuthenticatedState {
  oidc: OidcContext
}

/** Any Koa context (Koa 2 and 3 alike), whatever its state. */
export type KoaContext = ParameterizedContext<unknown, DefaultContext, unknown>

/**
 * Answer with a Web `Response` through Koa: status, headers, every `Set-Cookie` line (appended,
 * never merged into one), and the body as a stream. A response without a body stays exactly
 * that — a `302` is not turned into a `204`, and gets no text body.
 *
 * @param ctx the Koa context
 * @param response the Web response
 * @example
 * ```ts
 * sendWebResponse(ctx, await auth.logout(fromNodeRequest(ctx.req)))
 * ```
 */
export function sendWebResponse(ctx: KoaContext, response: Response): void {
  const body = response.body
  ctx.remove('Content-Type')
  if (body && ctx.method !== 'HEAD') {
    ctx.body = Readable.fromWeb(body as unknown as NodeReadableStream<Uint8Array>)
  } else {
    if (body) void body.cancel().catch(() => undefined)
    ctx.body = null // an explicit null body: Koa sends none (status set below)
  }
  ctx.status = response.status
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') ctx.set(name, value)
  })
  appendSetCookies(ctx.res, response.headers)
}

/**
 * The auth routes of `auth.routes` (`GET /login`, `GET|POST /callback`, `GET|POST /logout`,
 * `POST /backchannel-logout` by default), served by `auth.handler()`; every other request goes on
 * downstream. A body already read by `@koa/bodyparser` (`ctx.request.body`) is used as is;
 * otherwise the POST routes read it themselves. An `OidcSessionError` thrown downstream (for
 * example `auth.userinfo()` without a session) becomes the library's answer (401/302, 503); any
 * other error propagates to Koa. Use it first.
 *
 * @param auth from `createOidcSession`
 * @returns the middleware
 * @example
 * ```ts
 * app.use(oidcRouter(auth))
 * ```
 */
export function oidcRouter(auth: OidcSession): Middleware {
  const paths = new Set(Object.values(auth.routes))
  return async (ctx, next) => {
    if (paths.has(pathOf(ctx.req))) {
      const parsed = (ctx.request as { body?: unknown }).body
      const response = await auth.handler(toHandlerRequest(ctx.req, parsed))
      if (response) return sendWebResponse(ctx, response)
    }
    try {
      await next()
    } catch (error) {
      if (!(error instanceof OidcSessionError) || ctx.headerSent) throw error
      sendWebResponse(ctx, auth.errorResponse(fromNodeRequest(ctx.req), error))
    }
  }
}

/**
 * Login optional: load the session (refreshing it when due) into `ctx.state.oidc` and continue
 * either way; refreshed-session cookies go out with whatever the route answers.
 *
 * - `authenticate(auth)`: middleware typed `Middleware<AuthenticatedState>`.
 * - `authenticate(auth, handler)`: runs `handler` with `ctx.state.oidc` typed as present.
 *
 * @param auth from `createOidcSession`
 * @returns the middleware
 * @example
 * ```ts
 * app.use(authenticate(auth, (ctx) => {
 *   ctx.body = ctx.state.oidc.ok ? `hello ${ctx.state.oidc.session.sub}` : 'sign in'
 * }))
 * ```
 */
export function authenticate(auth: OidcSession): Middleware<AuthenticatedState>
/**
 * Login optional: load the session (refreshing it when due) into `ctx.state.oidc` and continue
 * either way; refreshed-session cookies go out with whatever the route answers.
 *
 * - `authenticate(auth)`: middleware typed `Middleware<AuthenticatedState>`.
 * - `authenticate(auth, handler)`: runs `handler` with `ctx.state.oidc` typed as present.
 *
 * @param auth from `createOidcSession`
 * @param handler the middleware to run with `ctx.state.oidc` set
 * @returns the middleware
 * @example
 * ```ts
 * app.use(authenticate(auth, (ctx) => {
 *   ctx.body = ctx.state.oidc.ok ? `hello ${ctx.state.oidc.session.sub}` : 'sign in'
 * }))
 * ```
 */
export function authenticate<StateT = object, ContextT = DefaultContext>(
  auth: OidcSession,
  handler: Middleware<StateT & AuthenticatedState, ContextT>,
): Middleware<StateT, ContextT>
export function authenticate(
  auth: OidcSession,
  handler?: Middleware<AuthenticatedState>,
): Middleware<AuthenticatedState> {
  return async (ctx, next) => {
    const result = await auth.authenticate(fromNodeRequest(ctx.req))
    appendSetCookies(ctx.res, result.headers)
    ctx.state.oidc = toContext(result)
    return handler ? handler(ctx, next) : next()
  }
}

/**
 * Protect a route: continue with the session in `ctx.state.oidc`, or answer for it — 401 JSON to
 * API calls, 302 to login for navigations, 503 when the provider or store is down. Refreshed-
 * session cookies go out with whatever the route answers (even after `ctx.set('Set-Cookie', …)`).
 *
 * - `protect(auth)`: middleware typed `Middleware<ProtectedState>`.
 * - `protect(auth, { acr, maxAge, claims })`: the same with step-up (see `OidcSession.protect`):
 *   a session whose authentication falls short gets `401` with `WWW-Authenticate: Bearer
 *   error="insufficient_user_authentication"` (API call) or `302` to a login asking for
 *   `acr_values` / `max_age` (navigation).
 * - `protect(auth, handler, options?)`: runs `handler` with `ctx.state.oidc.session` typed as
 *   present.
 *
 * @param auth from `createOidcSession`
 * @param options what the session's authentication must satisfy (step-up, RFC 9470)
 * @returns the middleware
 * @example
 * ```ts
 * new Koa<object>().use(protect(auth)).use((ctx) => { ctx.body = ctx.state.oidc.session.sub })
 * router.get('/admin', protect(auth, { acr: ['urn:example:mfa'] }), showAdmin)
 * ```
 */
export function protect(auth: OidcSession, options?: ProtectOptions): Middleware<ProtectedState>
/**
 * Protect a route: continue with the session in `ctx.state.oidc`, or answer for it — 401 JSON to
 * API calls, 302 to login for navigations, 503 when the provider or store is down. Refreshed-
 * session cookies go out with whatever the route answers (even after `ctx.set('Set-Cookie', …)`).
 *
 * - `protect(auth, handler)`: runs `handler` with `ctx.state.oidc.session` typed as present.
 * - `protect(auth, handler, { acr, maxAge, claims })`: step-up (see `OidcSession.protect`).
 *
 * @param auth from `createOidcSession`
 * @param handler the middleware to run with the session
 * @param options what the session's authentication must satisfy (step-up, RFC 9470)
 * @returns the middleware
 * @example
 * ```ts
 * const me = protect(auth, (ctx) => {
 *   ctx.body = { sub: ctx.state.oidc.session.sub }
 * })
 * const admin = protect(auth, (ctx) => { ctx.body = { ok: true } }, { acr: ['urn:example:mfa'] })
 * ```
 */
export function protect<StateT = object, ContextT = DefaultContext>(
  auth: OidcSession,
  handler: Middleware<StateT & ProtectedState, ContextT>,
  options?: ProtectOptions,
): Middleware<StateT, ContextT>
export function protect(
  auth: OidcSession,
  handlerOrOptions?: Middleware<ProtectedState> | ProtectOptions,
  stepUp?: ProtectOptions,
): Middleware<ProtectedState> {
  const handler = typeof handlerOrOptions === 'function' ? handlerOrOptions : undefined
  const options = typeof handlerOrOptions === 'function' ? stepUp : handlerOrOptions
  return async (ctx, next) => {
    const result = await auth.protect(fromNodeRequest(ctx.req), options)
    if (!result.ok) return sendWebResponse(ctx, result.response)
    appendSetCookies(ctx.res, result.headers)
    ctx.state.oidc = toContext(result)
    return handler ? handler(ctx, next) : next()
  }
}

export { appendSetCookies, fromNodeRequest }
