/**
 * `oidc-session/next`: Next.js 15 and 16 (App Router). A request-interception helper for
 * `proxy.ts` (Node runtime) and `middleware.ts` (Edge runtime) that serves the auth routes,
 * protects pages and APIs, refreshes when due and forwards the refreshed cookies to the browser
 * *and* to the rest of the same request; `getSession()` / `getAccessToken()` for Server
 * Components, Route Handlers and Server Actions; and route handlers for apps without a proxy.
 *
 * @module oidc-session/next
 */
import { parseSetCookie } from 'cookie'
// With the `.js` extension: `next` has no `exports` map, so an ES module (and a TypeScript project
// under `module: node16`) resolves `next/server` only by its file name. Next's bundler accepts both.
import { cookies, headers } from 'next/headers.js'
import { NextResponse, type NextFetchEvent, type NextRequest } from 'next/server.js'
import { invalidArg, SessionRequiredError, type OidcSessionError } from '../../errors.js'
import { forwardCookies } from '../../request/forward-cookies.js'
import type { Session } from '../../session/session.js'
import type {
  AuthFailureReason,
  AuthSuccessReason,
  OidcSession,
  ProtectOptions,
} from '../../session/types.js'

/**
 * The session manager, or a function returning it. A function lets the app create it on first
 * use (at request time, from the environment) rather than when Next.js evaluates the module at
 * build time; it is called on every request, so it should return one shared instance.
 */
export type AuthSource = OidcSession | (() => OidcSession)

const resolve = (source: AuthSource): OidcSession =>
  typeof source === 'function' ? source() : source

/** Options of {@link oidcProxy}. */
export interface ProxyOptions {
  /**
   * Which requests need a session. Those that get none are answered by the proxy: `401` JSON for
   * API calls, `302` to the login route for navigations (`isAjax`), `503` when the provider or the
   * store is down. Default: every request the proxy's `matcher` sends to it, except the auth
   * routes. Requests that do not need a session still get their session refreshed when due.
   *
   * Return `{ acr, maxAge, claims }` instead of `true` to ask for step-up on that request (see
   * `OidcSession.protect`): a session whose authentication falls short gets `401` with
   * `WWW-Authenticate: Bearer error="insufficient_user_authentication"` (API call) or `302` to a
   * login asking for `acr_values` / `max_age` (navigation); a claim mismatch gets `403`.
   *
   * @example
   * ```ts
   * protect: (req) => (req.nextUrl.pathname.startsWith('/admin') ? { acr: ['urn:example:mfa'] } : true)
   * ```
   */
  protect?: (request: NextRequest) => boolean | ProtectOptions
}

/**
 * Continue to the route with the refreshed cookies: `Set-Cookie` for the browser, and the same
 * cookies in the downstream request's `Cookie` header, so Server Components and Route Handlers of
 * this very request read the new session (and never refresh it again).
 */
function forward(request: NextRequest, setCookies: Headers): NextResponse {
  const lines = setCookies.getSetCookie()
  if (lines.length === 0) return NextResponse.next()
  const downstream = new Headers(request.headers)
  const cookie = forwardCookies(request.headers.get('cookie'), lines, {
    path: request.nextUrl.pathname,
  })
  if (cookie === '') downstream.delete('cookie')
  else downstream.set('cookie', cookie)
  const response = NextResponse.next({ request: { headers: downstream } })
  for (const line of lines) response.headers.append('set-cookie', line)
  return response
}

/**
 * The request-interception function for `proxy.ts` (Next.js 16, Node runtime) or `middleware.ts`
 * (Edge runtime, Next.js 15 and 16). For each request its `matcher` sends:
 *
 * 1. the auth routes (`GET /login`, `GET /callback`, `GET|POST /logout`,
 *    `POST /backchannel-logout`) are answered here, every `Location` absolute (Next.js refuses a
 *    relative one from a proxy);
 * 2. a protected request without a usable session gets `401` JSON (API call) or `302` to login
 *    (navigation), decided by `isAjax`;
 * 3. otherwise the request continues to its page or route; when the session was refreshed, the
 *    new cookies go to the browser and replace the old ones in the request's `Cookie` header.
 *
 * A refresh started by a request is handed to Next.js's `event.waitUntil`, so it completes even
 * when that request is cancelled.
 *
 * On the Edge runtime, refresh is single-flight per isolate and a cookie session works anywhere;
 * the core refuses a back-channel logout with a `400` there unless the revocation list is shared,
 * since it could not reach the other isolates (`logout.backchannel`).
 *
 * @param auth the session manager (or a function returning it)
 * @param options which requests need a session
 * @returns the function to export as `proxy` (or `middleware`); it never throws for a request: an
 *   unexpected error becomes `auth.errorResponse()` (503 for a provider or store outage, never a
 *   token in the body)
 * @throws TypeError `ERR_INVALID_ARG_VALUE` / `ERR_INVALID_ARG_TYPE` for invalid options
 * @example
 * ```ts
 * // proxy.ts
 * import { oidcProxy } from 'oidc-session/next'
 * import { getAuth } from './lib/auth'
 *
 * export const proxy = oidcProxy(getAuth, {
 *   protect: (req) =>
 *     req.nextUrl.pathname === '/about'
 *       ? false
 *       : req.nextUrl.pathname.startsWith('/admin')
 *         ? { acr: ['urn:example:mfa'] } // step-up
 *         : true,
 * })
 * export const config = { matcher: ['/', '/api/:path*', '/login', '/callback', '/logout', '/backchannel-logout'] }
 * ```
 * @see https://nextjs.org/docs/app/api-reference/file-conventions/proxy
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCResponse
 */
export function oidcProxy(
  auth: AuthSource,
  options: ProxyOptions = {},
): (request: NextRequest, event?: NextFetchEvent) => Promise<Response> {
  const protect = options.protect ?? (() => true)
  if (typeof protect !== 'function')
    throw invalidArg('"protect" must be a function', 'ERR_INVALID_ARG_TYPE')
  return async function proxy(request, event) {
    const manager = resolve(auth)
    // A refresh this request starts outlives it (others of the isolate may be waiting for it).
    const keep = event ? { waitUntil: (promise: Promise<unknown>) => event.waitUntil(promise) } : {}
    try {
      const routed = await manager.handler(request, keep)
      if (routed) return routed
      const needs = protect(request)
      if (needs) {
        const stepUp = typeof needs === 'object' ? needs : {}
        const result = await manager.protect(request, { ...stepUp, ...keep })
        return result.ok ? forward(request, result.headers) : result.response
      }
      return forward(request, (await manager.authenticate(request, keep)).headers)
    } catch (error) {
      return manager.errorResponse(request, error)
    }
  }
}

/** A Route Handler function. */
export type RouteHandler = (request: Request) => Promise<Response>

/**
 * Route handlers for the auth routes, for apps that prefer routes to interception: export them
 * from `app/login/route.ts`, `app/callback/route.ts`, `app/logout/route.ts` and
 * `app/backchannel-logout/route.ts` (or from one catch-all route when the four paths share a
 * prefix). A path that is not an auth route gets `404`.
 *
 * @param auth the session manager (or a function returning it)
 * @returns `{ GET, POST }`
 * @example
 * ```ts
 * // app/login/route.ts (and the same line in callback/, logout/, backchannel-logout/)
 * import { handlers } from 'oidc-session/next'
 * import { getAuth } from '@/lib/auth'
 *
 * export const { GET, POST } = handlers(getAuth)
 * ```
 * @see https://nextjs.org/docs/app/api-reference/file-conventions/route
 */
export function handlers(auth: AuthSource): { GET: RouteHandler; POST: RouteHandler } {
  const handle: RouteHandler = async (request) => {
    const manager = resolve(auth)
    try {
      const answer = await manager.handler(request)
      return (
        answer ??
        new Response(JSON.stringify({ error: 'not_found' }), {
          status: 404,
          headers: { 'content-type': 'application/json; charset=utf-8' },
        })
      )
    } catch (error) {
      return manager.errorResponse(request, error)
    }
  }
  return { GET: handle, POST: handle }
}

/** Options of {@link getSession} and {@link getAccessToken}. */
export interface GetSessionOptions {
  /**
   * Whether this call may refresh the tokens. `'auto'` (default): only where Next.js lets the
   * answer set cookies — Route Handlers and Server Actions — and never in a Server Component.
   * `false`: never. `true`: refresh when due and write the cookies through `cookies()`.
   */
  refresh?: boolean | 'auto'
}

/**
 * Result of {@link getSession}. Reasons for no session: those of `auth.authenticate()` (`none`,
 * `tampered`, `expired`, `revoked`, `refresh-rejected`, `store-unavailable`…), and
 * `refresh-required`: the access token has expired and this call may not refresh it (a Server
 * Component: let the proxy or middleware match the route, so it refreshes first and forwards the
 * new session).
 */
export type SessionResult =
  | { ok: true; session: Session; reason: AuthSuccessReason; warning?: OidcSessionError }
  | { ok: false; session: null; reason: AuthFailureReason; error?: OidcSessionError }

type CookieStore = Awaited<ReturnType<typeof cookies>>

/**
 * `true` when `cookies()` may be written. Next.js seals the store of a Server Component render
 * so that `set` and `delete` are one and the same throwing function; Route Handlers and Server
 * Actions get a writable store (two different functions). When unsure, "no" is the safe answer:
 * it only means no refresh.
 */
function writable(store: CookieStore): boolean {
  return typeof store.set === 'function' && store.set !== store.delete
}

/** Write `Set-Cookie` lines through `cookies()` (Next.js encodes values as `cookie` does). */
function writeCookies(store: CookieStore, lines: string[]): void {
  for (const line of lines) {
    const c = parseSetCookie(line)
    store.set({
      name: c.name,
      value: c.value ?? '',
      ...(c.httpOnly ? { httpOnly: true } : {}),
      ...(c.secure ? { secure: true } : {}),
      ...(typeof c.sameSite === 'string' ? { sameSite: c.sameSite } : {}),
      ...(c.path !== undefined ? { path: c.path } : {}),
      ...(c.domain !== undefined ? { domain: c.domain } : {}),
      ...(c.maxAge !== undefined ? { maxAge: c.maxAge } : {}),
      ...(c.expires !== undefined ? { expires: c.expires } : {}),
      ...(c.partitioned ? { partitioned: true } : {}),
    })
  }
}

/** One answer per request (headers object) and mode: a layout and its page share it. */
const perRequest = new WeakMap<object, Map<boolean, Promise<SessionResult>>>()

/**
 * The session of the current request, in a Server Component, Route Handler or Server Action.
 *
 * In a Server Component it never refreshes (it could not write the new cookies): it answers from
 * the session the proxy forwarded, and says `refresh-required` when the access token has
 * expired. In Route Handlers and Server Actions it refreshes when due and writes the new cookies
 * through `cookies()`. Calls within one request share one answer.
 *
 * @param auth the session manager (or a function returning it)
 * @param options `refresh`: `'auto'` (default), `true` or `false`
 * @returns `{ ok: true, session, reason }` or `{ ok: false, session: null, reason, error? }`
 * @throws whatever `headers()`/`cookies()` throw outside a request scope
 * @example
 * ```tsx
 * // app/page.tsx
 * export default async function Page() {
 *   const { session, reason } = await getSession(getAuth)
 *   if (!session) return <p>Not signed in ({reason})</p>
 *   return <h1>Signed in as {session.sub}</h1>
 * }
 * ```
 * @see https://nextjs.org/docs/app/api-reference/functions/cookies
 */
export async function getSession(
  auth: AuthSource,
  options: GetSessionOptions = {},
): Promise<SessionResult> {
  const manager = resolve(auth)
  const [requestHeaders, store] = await Promise.all([headers(), cookies()])
  const refresh = options.refresh === true || (options.refresh !== false && writable(store))
  let answers = perRequest.get(requestHeaders)
  if (!answers) perRequest.set(requestHeaders, (answers = new Map()))
  let answer = answers.get(refresh)
  if (!answer) {
    answer = (async (): Promise<SessionResult> => {
      const result = await manager.authenticate(
        { url: '/', method: 'GET', headers: requestHeaders },
        { refresh },
      )
      if (refresh) {
        try {
          writeCookies(store, result.headers.getSetCookie())
        } catch {
          // The store became read-only (a Server Action's render phase): the refreshed tokens stay
          // in the recent-result cache, where the browser's next request finds them.
        }
      }
      if (result.ok) {
        const { session, reason, warning } = result
        return warning ? { ok: true, session, reason, warning } : { ok: true, session, reason }
      }
      return {
        ok: false,
        session: null,
        reason: result.reason,
        ...(result.error ? { error: result.error } : {}),
      }
    })()
    answers.set(refresh, answer)
  }
  return answer
}

/**
 * The access token of the current request's session, for calling APIs from a Server Component,
 * Route Handler or Server Action. Refreshes as {@link getSession} does (never in a Server
 * Component).
 *
 * @param auth the session manager (or a function returning it)
 * @param options `refresh`: `'auto'` (default), `true` or `false`
 * @returns `{ accessToken, tokenType, expiresAt }` (`expiresAt` in seconds, when known)
 * @throws `SessionRequiredError` (`ERR_SESSION_REQUIRED`, with `reason`) when there is no
 *   usable session; a transient `ProviderUnavailableError` / `StoreUnavailableError` as is
 * @example
 * ```ts
 * const { accessToken } = await getAccessToken(getAuth)
 * const orders = await fetch(API, { headers: { authorization: `Bearer ${accessToken}` } })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export async function getAccessToken(
  auth: AuthSource,
  options: GetSessionOptions = {},
): Promise<{ accessToken: string; tokenType: string; expiresAt?: number }> {
  const result = await getSession(auth, options)
  if (!result.ok) {
    if (result.error?.transient) throw result.error
    // `refresh-required` (a Server Component) is not a `SessionFailure` of the core's type.
    throw new SessionRequiredError(
      result.reason,
      result.error ? { cause: result.error } : undefined,
    )
  }
  const { accessToken, tokenType, expiresAt } = result.session.tokens
  return { accessToken, tokenType, ...(expiresAt !== undefined ? { expiresAt } : {}) }
}
