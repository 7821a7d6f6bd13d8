/**
 * Hono adapter (`oidc-session/hono`): middleware serving the auth routes through `auth.handler()`
 * and middleware that protects routes or makes login optional, with the session in
 * `c.get('oidc')`, typed through Hono's `Variables`. Web standards only: it runs on Node
 * (`@hono/node-server`), Bun, Deno, Cloudflare Workers and every other Hono runtime, and imports
 * no Hono code at run time.
 *
 * @module oidc-session/hono
 */
import type { Context, MiddlewareHandler } from 'hono'
import { OidcSessionError } from '../../errors.js'
import type { OidcSession, ProtectOptions } from '../../session/types.js'
import { toContext, type OidcContext, type ProtectedOidcContext } from '../context.js'

export type { OidcContext, ProtectedOidcContext }

/** Hono `Variables` after `authenticate()`: `c.get('oidc')` with or without a session. */
export interface OidcVariables {
  oidc: OidcContext
}

/** Hono `Variables` after `protect()`: `c.get('oidc').session` is there. */
export interface ProtectedVariables {
  oidc: ProtectedOidcContext
}

/**
 * Append `Set-Cookie` lines to the response the route produced (a response whose headers cannot
 * change, such as one passed through from `fetch()`, is copied first).
 */
function forward(c: Context, headers: Headers): void {
  const lines = headers.getSetCookie()
  if (lines.length === 0) return
  try {
    for (const line of lines) c.res.headers.append('set-cookie', line)
  } catch {
    const copy = new Response(c.res.body, c.res)
    for (const line of lines) copy.headers.append('set-cookie', line)
    // Hono's setter merges the previous response's headers into the new one (Set-Cookie lines
    // included, replacing ours): clear it first.
    c.res = undefined
    c.res = copy
  }
}

/**
 * The auth routes of `auth.routes` (`GET|HEAD /login`, `GET|POST /callback`, `GET|POST /logout`,
 * `POST /backchannel-logout` by default), served by `auth.handler()` on `c.req.raw`; every other
 * request goes on downstream. An `OidcSessionError` thrown downstream (for example
 * `auth.userinfo()` without a session) becomes the library's answer (401/302, 503). Use it first
 * (before anything reads the request body).
 *
 * @param auth from `createOidcSession`
 * @returns the middleware
 * @example
 * ```ts
 * app.use(oidcRouter(auth))
 * ```
 */
export function oidcRouter(auth: OidcSession): MiddlewareHandler {
  return async (c, next) => {
    const response = await auth.handler(c.req.raw)
    if (response) return response
    await next()
    if (c.error instanceof OidcSessionError) c.res = auth.errorResponse(c.req.raw, c.error)
  }
}

/**
 * Login optional: load the session (refreshing it when due) into `c.get('oidc')` and continue
 * either way; refreshed-session cookies are appended to the route's response.
 *
 * @param auth from `createOidcSession`
 * @returns the middleware, typed `MiddlewareHandler<{ Variables: OidcVariables }>`
 * @example
 * ```ts
 * app.get('/', authenticate(auth), (c) => {
 *   const oidc = c.get('oidc')
 *   return c.text(oidc.ok ? `hello ${oidc.session.sub}` : 'sign in')
 * })
 * ```
 */
export function authenticate(auth: OidcSession): MiddlewareHandler<{ Variables: OidcVariables }> {
  return async (c, next) => {
    const result = await auth.authenticate(c.req.raw)
    c.set('oidc', toContext(result))
    await next()
    forward(c, result.headers)
  }
}

/**
 * Protect a route: continue with the session in `c.get('oidc')`, or answer for it — 401 JSON to
 * API calls, 302 to login for navigations, 503 when the provider or store is down. Refreshed-
 * session cookies are appended to the route's response.
 *
 * With `{ acr, maxAge, claims }` it asks for step-up (see `OidcSession.protect`): a session whose
 * authentication falls short gets `401` with `WWW-Authenticate: Bearer
 * error="insufficient_user_authentication"` (API call) or `302` to a login asking for
 * `acr_values` / `max_age` (navigation).
 *
 * @param auth from `createOidcSession`
 * @param options what the session's authentication must satisfy (step-up, RFC 9470)
 * @returns the middleware, typed `MiddlewareHandler<{ Variables: ProtectedVariables }>`
 * @example
 * ```ts
 * app.get('/api/me', protect(auth), (c) => c.json({ sub: c.get('oidc').session.sub }))
 * app.get('/api/admin', protect(auth, { acr: ['urn:example:mfa'] }), (c) => c.json({ ok: true }))
 * ```
 */
export function protect(
  auth: OidcSession,
  options?: ProtectOptions,
): MiddlewareHandler<{ Variables: ProtectedVariables }> {
  return async (c, next) => {
    const result = await auth.protect(c.req.raw, options)
    if (!result.ok) return result.response
    c.set('oidc', toContext(result))
    await next()
    forward(c, result.headers)
  }
}
