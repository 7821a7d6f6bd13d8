/**
 * The public types of the session manager: what `createOidcSession` returns and what its methods
 * answer.
 *
 * @module
 */
import type { OidcSessionError, SessionFailure } from '../errors.js'
import type { ForwardOptions, ForwardRequest } from '../gateway/types.js'
import type { LogoutOptions } from '../logout/logout.js'
import type { FormRequest } from '../request/form.js'
import type { RequestLike } from '../request/headers.js'
import type { SessionStore } from '../stores/types.js'
import type { UserInfoClaims } from '../tokens/claims.js'
import type { Session, SessionData } from './session.js'

/**
 * Why `authenticate()` found a usable session:
 * - `valid`: the session's access token is fresh; nothing was done;
 * - `refreshed`: its tokens were refreshed for this request (by this request's token call, by
 *   joining one in flight, or from a recent refresh of the same grant);
 * - `refresh-deferred`: the access token is due for refresh but still valid and is served as is —
 *   the refresh runs in the background (`refresh.background`), or it failed transiently (`warning`
 *   says why) and will be tried again.
 */
export type AuthSuccessReason = 'valid' | 'refreshed' | 'refresh-deferred'

/** Why a read-only `authenticate()` found no usable session, beyond {@link SessionFailure}. */
export type AuthFailureReason =
  | SessionFailure
  /** The access token needs a refresh, and this call may not refresh (`{ refresh: false }`). */
  | 'refresh-required'

/** Result of {@link OidcSession.authenticate}. */
export type AuthResult<TData extends SessionData = SessionData> =
  | {
      ok: true
      session: Session<TData>
      /** `Set-Cookie` lines to send (after a refresh or re-seal); may be empty. */
      headers: Headers
      reason: AuthSuccessReason
      /** A failure that did not cost the session (a transient refresh failure, a session too large to write). */
      warning?: OidcSessionError
      error?: undefined
    }
  | {
      ok: false
      session: null
      /** `Set-Cookie` lines to send (cookie deletions only); may be empty. */
      headers: Headers
      reason: AuthFailureReason
      /** The typed error behind `reason`, when there is one. */
      error?: OidcSessionError
      warning?: undefined
    }

/**
 * Why `protect()` refused a session that is otherwise valid (step-up):
 * - `insufficient-authentication`: its `acr` is not one of those asked for, or its `auth_time`
 *   is older than `maxAge` (401 challenge or a login asking for them);
 * - `insufficient-claims`: a required claim is missing or different (403).
 */
export type StepUpFailureReason = 'insufficient-authentication' | 'insufficient-claims'

/** Result of {@link OidcSession.protect}: a session, or the response to send instead. */
export type ProtectResult<TData extends SessionData = SessionData> =
  | {
      ok: true
      session: Session<TData>
      headers: Headers
      reason: AuthSuccessReason
      warning?: OidcSessionError
      response?: undefined
    }
  | {
      ok: false
      session: null
      headers: Headers
      reason: AuthFailureReason | StepUpFailureReason
      /** 401 JSON for API calls, 302 to login for navigations, 503 when the provider or store is down. */
      response: Response
    }

/** Options every request-handling method accepts. */
export interface RequestOptions {
  /**
   * Keeps work alive past the request that started it: Cloudflare Workers'
   * `ctx.waitUntil`, Vercel's and Next.js's `waitUntil`. A refresh started by this request is
   * handed to it, so that a cancelled request does not lose the rotated refresh token the other
   * requests of the isolate wait for, and `refresh.background` runs inside it. Without it, on
   * Workers a background refresh runs inline (a detached promise would die with its request).
   */
  waitUntil?: (promise: Promise<unknown>) => void
}

/** Options of {@link OidcSession.authenticate}. */
export interface AuthenticateOptions extends RequestOptions {
  /**
   * `false`: never refresh and never write a cookie (for code that cannot set cookies, such as
   * React Server Components). A session whose access token has expired then answers
   * `refresh-required`. Default `true`.
   */
  refresh?: boolean
}

export type { LogoutOptions }

/**
 * Options of {@link OidcSession.protect}: what the session's authentication must satisfy besides
 * being valid (step-up, RFC 9470). Nothing by default.
 */
export interface ProtectOptions extends RequestOptions {
  /**
   * Accepted `acr` values (one, or several in order of preference): the session's `acr` must be
   * one of them. Name every level that is enough ("at least MFA": `['mfa', 'hwk']`). On a miss,
   * the login is asked for them as `acr_values`.
   */
  acr?: string | readonly string[]
  /** The user must have authenticated at most this many seconds ago (`auth_time`); else `max_age`. */
  maxAge?: number
  /**
   * Claims of the id_token that must have these values (compared as JSON), or a predicate over
   * the claims. A miss is a `403` (a new login would not change them).
   */
  claims?: Record<string, unknown> | ((claims: Record<string, unknown>) => boolean)
}

/** A change of the session's application data: merged shallowly, or a function of the current data. */
export type SessionPatch<TData extends SessionData = SessionData> =
  Partial<TData> | ((data: Partial<TData>) => TData)

/** Options of {@link OidcSession.login}. */
export interface LoginOptions {
  /** Same-origin path to land on after login; anything else falls back to `/`. */
  returnTo?: string
  /** Extra authorization parameters for this login (`prompt`, `login_hint`, `ui_locales`…). */
  authorizationParams?: Record<string, string>
  /**
   * Make the provider issue a refresh token again although the user consented before (Google
   * issues one only at the first consent: this login then asks `prompt=consent`). The login route
   * sets it from `reconsent=1`, which the failure answers of a session that ended without a usable
   * refresh token (`unrefreshable`, `refresh-expired`) put in their login URL where the provider
   * profile needs it (Google). Providers that need nothing for it ignore it. Default `false`.
   */
  reconsent?: boolean
  /**
   * `prompt` for this login (overrides `authorizationParams.prompt`). `'none'` makes a silent
   * login: a provider answer that needs the user (`login_required`, `interaction_required`…)
   * returns to `returnTo` unauthenticated (a `SilentLoginError` that `errorResponse` and
   * `handler()` turn into that redirect), and for `silentLogin.retryAfterSeconds` later silent
   * logins return there at once, without asking the provider.
   */
  prompt?: string
}

/** Options of {@link OidcSession.accessToken}. */
export interface AccessTokenOptions extends RequestOptions {
  /**
   * A token for this resource (RFC 8707 resource indicator, or the audience with
   * `resources.parameter: 'audience'`) instead of the session's own: obtained with the refresh
   * token (single-flight per grant and resource, in process and across processes), cached in the
   * session with its own expiry (at most `resources.maxPerSession` of them). Use a resource the
   * login asked for (`resources.indicators`); the provider refuses others.
   */
  resource?: string
}

/** Result of {@link OidcSession.accessToken}. */
export interface AccessTokenResult {
  accessToken: string
  /**
   * `bearer` or `dpop` (lower-case, as `oauth4webapi` reports it), or as the provider said. A
   * `dpop` token must be presented with a proof of the session's key: use `forward()`.
   */
  tokenType: string
  /** When the access token expires (seconds since the epoch), when the provider said. */
  expiresAt: number | undefined
  /** The resource the token is for, when one was asked for (or configured as the default). */
  resource?: string
  /** `Set-Cookie` lines to send (after a refresh); may be empty. */
  headers: Headers
}

/** One of a user's sessions, as {@link OidcSession.sessions} lists it. Times are seconds since the epoch. */
export interface SessionSummary {
  /** The session's id: pass it to {@link OidcSession.endSession}. */
  id: string
  /** When the user logged in. */
  createdAt: number
  /** Last recorded activity (with `session.idle`), else the login time. */
  lastSeenAt: number
  /** Absolute expiry. */
  expiresAt: number
  /** The browser's `User-Agent` at login, when `session.userAgent` is on. */
  userAgent?: string
  /** `true` for the session of the request that asked. */
  current: boolean
}

/**
 * Session control for back offices, by `sub` (no user request needed). Guard the routes that call
 * it: it ends any user's sessions.
 */
export interface SessionAdmin {
  /**
   * The live sessions of `sub` (stateful stores that can list: the memory and Redis stores;
   * an empty list for the cookie store, which cannot see other browsers' cookies).
   *
   * @param sub the user
   * @returns their sessions (`current` is always `false`)
   * @throws `StoreUnavailableError`
   * @example
   * ```ts
   * const sessions = await auth.admin.sessions('248289761001')
   * ```
   */
  sessions(sub: string): Promise<SessionSummary[]>
  /**
   * End one session of `sub` by id: destroyed in the store and its refresh token revoked at the
   * provider (best effort). Stateful stores that can list only.
   *
   * @param sub the user
   * @param id a {@link SessionSummary.id}
   * @returns `true` when a live session was ended
   * @throws `StoreUnavailableError`
   * @example
   * ```ts
   * await auth.admin.endSession('248289761001', id)
   * ```
   */
  endSession(sub: string, id: string): Promise<boolean>
  /**
   * End every session of `sub`: recorded in the revocation list (which ends cookie sessions in
   * every instance sharing it, kind `sub`), destroyed in a stateful store, and their refresh tokens
   * revoked at the provider where the store kept them (not for cookie sessions: their tokens live
   * only in the browsers' cookies).
   *
   * @param sub the user
   * @returns how many sessions a listing store ended (cookie sessions are not counted)
   * @throws `StoreUnavailableError`
   * @example
   * ```ts
   * await auth.admin.endAllSessions('248289761001')
   * ```
   */
  endAllSessions(sub: string): Promise<number>
}

/** The resolved paths of the auth routes. */
export interface OidcRoutes {
  readonly login: string
  readonly callback: string
  readonly logout: string
  readonly backchannelLogout: string
}

/**
 * The object returned by `createOidcSession`. It holds no secret, no key and no token: only what
 * an application needs to route and to describe the provider.
 */
export interface OidcSession<TData extends SessionData = SessionData> {
  /** The paths `handler()` serves. */
  readonly routes: OidcRoutes
  /** The configured issuer identifier. */
  readonly issuer: string
  /** The configured `client_id`. */
  readonly clientId: string
  /** The session store in use. */
  readonly store: SessionStore

  /**
   * Serve any auth route: `GET` login, `GET` (and `form_post` `POST`) callback, `GET|POST` logout,
   * `POST` back-channel logout, at the paths of {@link routes}. Errors become responses through
   * {@link errorResponse}. `undefined` for any other path or method, so middleware can fall
   * through. On the login route, the query may carry `returnTo`, `reconsent=1` (see
   * {@link LoginOptions.reconsent}) and the allow-listed authorization parameters (`prompt`,
   * `login_hint`, `acr_values`, `max_age`, `ui_locales`, `screen_hint`, `organization`,
   * `domain_hint`), never anything else.
   *
   * @param request a Web `Request`, or a request-like with an already-read `body`
   * @param options see {@link RequestOptions}
   * @returns the response, or `undefined` when the request is not for an auth route
   * @example
   * ```ts
   * const response = await auth.handler(request)
   * if (response) return response
   * ```
   */
  handler(request: FormRequest, options?: RequestOptions): Promise<Response | undefined>

  /**
   * Start a login: `302` to the provider with a sealed transaction cookie.
   *
   * @param request the request (its `returnTo` query parameter is used when `options.returnTo` is not)
   * @param options see {@link LoginOptions}
   * @returns the redirect
   * @throws `DiscoveryError` / `ProviderUnavailableError` (transient) when the provider cannot be reached
   * @example
   * ```ts
   * return auth.login(request, { returnTo: '/orders' })
   * ```
   */
  login(request: RequestLike, options?: LoginOptions): Promise<Response>

  /**
   * Complete a login: `302` to the transaction's `returnTo` with the session cookies.
   *
   * @param request the callback request (query, or `form_post` body)
   * @returns the redirect
   * @throws {@link CallbackError} (`ERR_CALLBACK_*`, with the used transaction cookie's deletion in
   *   `error.headers`), `ProviderUnavailableError`, `StoreUnavailableError`, `CookieTooLargeError`
   * @example
   * ```ts
   * try { return await auth.callback(request) } catch (e) { return auth.errorResponse(request, e) }
   * ```
   */
  callback(request: FormRequest): Promise<Response>

  /**
   * Load the session, refreshing its tokens when due. Never throws for a missing or bad session.
   *
   * @param request the request (its cookies)
   * @param options see {@link AuthenticateOptions}
   * @returns an {@link AuthResult}: `ok` with the session and the `Set-Cookie` lines to send, or
   *   why there is none
   * @example
   * ```ts
   * const result = await auth.authenticate(request)
   * const user = result.ok ? result.session.sub : null // login optional on this page
   * ```
   */
  authenticate(request: RequestLike, options?: AuthenticateOptions): Promise<AuthResult<TData>>

  /**
   * {@link authenticate}, or the right failure response: 401 JSON for API calls, 302 to login for
   * navigations (decided by `isAjax`), 503 + `Retry-After` when the provider or store is down.
   * With `acr` / `maxAge` (step-up, RFC 9470), a session that does not satisfy them gets, for API
   * calls, `401` with `WWW-Authenticate: Bearer error="insufficient_user_authentication",
   * acr_values="…", max_age=…`, and for navigations a `302` to login asking the provider for
   * them; the callback then checks the new `acr` against what was asked (kept in the sealed
   * transaction cookie, never taken from the URL). With `claims`, a miss is a `403`.
   *
   * @param request the request
   * @param options see {@link ProtectOptions}
   * @returns a {@link ProtectResult}; when `ok` is false, send `response` (it carries `headers`)
   * @example
   * ```ts
   * const result = await auth.protect(request, { acr: ['urn:example:mfa'] })
   * if (!result.ok) return result.response
   * return Response.json({ sub: result.session.sub }, { headers: result.headers })
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc9470
   */
  protect(request: RequestLike, options?: ProtectOptions): Promise<ProtectResult<TData>>

  /**
   * Change the session's application data (`session.data`) and write it: a shallow merge of
   * `patch`, or what `patch(data)` returns. `hooks.beforeSave` runs; the cookie store re-seals
   * (the data counts in its budget), stateful stores write with compare-and-set (a lost race
   * applies the patch to the newer session).
   *
   * @param request the request (its session)
   * @param patch see {@link SessionPatch}
   * @param options see {@link RequestOptions}
   * @returns the updated session and the `Set-Cookie` lines to send
   * @throws {@link SessionRequiredError} without a usable session; `CookieTooLargeError` when the
   *   data does not fit the cookie budget; `StoreUnavailableError`
   * @example
   * ```ts
   * const { headers } = await auth.updateSession(request, { theme: 'dark' })
   * return new Response(null, { status: 204, headers })
   * ```
   */
  updateSession(
    request: RequestLike,
    patch: SessionPatch<TData>,
    options?: RequestOptions,
  ): Promise<{ session: Session<TData>; headers: Headers }>

  /**
   * A fresh access token for the request's session (refreshed, single-flight, when due), or for
   * another resource (`options.resource`, RFC 8707).
   *
   * @param request the request
   * @param options see {@link AccessTokenOptions}
   * @returns the token, its type and expiry, and the `Set-Cookie` lines to send
   * @throws {@link SessionRequiredError} when there is no usable session; `RefreshRefusedError`
   *   when the provider refuses the resource (`invalid_target`); transient errors as thrown
   * @example
   * ```ts
   * const { accessToken, headers } = await auth.accessToken(request, { resource: 'https://api.example' })
   * const api = await fetch('https://api.example/orders', { headers: { authorization: `Bearer ${accessToken}` } })
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2
   */
  accessToken(request: RequestLike, options?: AccessTokenOptions): Promise<AccessTokenResult>

  /**
   * Forward the request to `upstream` with a fresh access token, as a reverse proxy does: the
   * session is authenticated (and refreshed when due) first; the request goes on with
   * `Authorization: Bearer <token>` (or `DPoP <token>` and a proof with `ath` for sender-constrained
   * tokens), the path and query appended to the upstream's path, the body streamed, hop-by-hop
   * headers and the gateway's own cookies removed, `X-Forwarded-For/-Proto/-Host` set and the
   * identity headers `X-Forwarded-User`/`-Email` (replacing anything the client sent); the answer
   * streams back. An upstream that cannot be reached answers `502`, one too slow (`timeoutMs`)
   * `504`; an upstream `401` with `invalid_token` triggers one forced refresh and one retry of an
   * idempotent, bodiless request. Without a usable session: the {@link protect} answer.
   *
   * @param request a Web `Request` (its body is streamed), or a request-like with a `body`
   * @param upstream the upstream's base URL; a path in it is a prefix
   * @param options see {@link ForwardOptions}
   * @returns the upstream's answer (or the gateway's own), with the `Set-Cookie` lines to send
   * @throws TypeError `ERR_INVALID_ARG_VALUE` for an unusable `upstream` or option (never for what
   *   the client or the upstream do)
   * @example
   * ```ts
   * const response = (await auth.handler(request)) ?? (await auth.forward(request, 'http://127.0.0.1:8080'))
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc9110#section-7.6
   * @see https://www.rfc-editor.org/rfc/rfc9449#section-7
   */
  forward(
    request: ForwardRequest,
    upstream: string | URL,
    options?: ForwardOptions,
  ): Promise<Response>

  /**
   * The current user's sessions: their id, creation, last activity and user agent (if kept). With
   * the cookie store only the request's own session is known.
   *
   * @param request the request (its session names the user)
   * @returns the sessions, the request's own marked `current`
   * @throws {@link SessionRequiredError} without a usable session; `StoreUnavailableError`
   * @example
   * ```ts
   * const sessions = await auth.sessions(request)
   * return Response.json(sessions.map(({ id, lastSeenAt, userAgent, current }) => ({ id, lastSeenAt, userAgent, current })))
   * ```
   */
  sessions(request: RequestLike): Promise<SessionSummary[]>

  /**
   * End one of the current user's sessions (a "sign out that device" button): destroyed in the
   * store, its refresh token revoked at the provider (best effort). Any of the user's sessions with
   * a store that can list them; with the cookie store only the request's own.
   *
   * @param request the request (its session names the user)
   * @param id a {@link SessionSummary.id} of the same user
   * @returns `true` when a live session was ended; the `Set-Cookie` lines when it was the
   *   request's own
   * @throws {@link SessionRequiredError} without a usable session; `StoreUnavailableError`
   * @example
   * ```ts
   * const { ended, headers } = await auth.endSession(request, id)
   * return new Response(null, { status: ended ? 204 : 404, headers })
   * ```
   */
  endSession(request: RequestLike, id: string): Promise<{ ended: boolean; headers: Headers }>

  /**
   * End every session of the user `sub`, in every instance: see {@link SessionAdmin.endAllSessions}.
   *
   * @param sub the user (for "sign out everywhere": `result.session.sub`)
   * @returns how many sessions a listing store ended (cookie sessions are not counted)
   * @throws `StoreUnavailableError`
   * @example
   * ```ts
   * const result = await auth.protect(request)
   * if (result.ok) await auth.endAllSessions(result.session.sub)
   * ```
   */
  endAllSessions(sub: string): Promise<number>

  /** Session control by `sub`, for back offices (see {@link SessionAdmin}). */
  readonly admin: SessionAdmin

  /**
   * Call the provider's UserInfo endpoint with the session's (fresh) access token.
   *
   * @param request the request
   * @param options see {@link RequestOptions}
   * @returns the claims (their `sub` is the session's) and the `Set-Cookie` lines to send
   * @throws {@link SessionRequiredError}, `ProviderUnavailableError`, `ProviderResponseError`
   * @example
   * ```ts
   * const { claims, headers } = await auth.userinfo(request)
   * return Response.json(claims, { headers })
   * ```
   * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
   */
  userinfo(
    request: RequestLike,
    options?: RequestOptions,
  ): Promise<{ claims: UserInfoClaims; headers: Headers }>

  /**
   * End the session locally and at the provider: `302` to the end-session endpoint with the
   * freshest id_token as `id_token_hint` (or to the post-logout URI). The refresh token is revoked,
   * best effort, and the session is recorded as ended for every instance. A cross-site request
   * gets `403`; a speculative prefetch or prerender never logs out; a `GET` without any proof of
   * coming from this site (no Fetch Metadata, `Origin` or `Referer`) gets a confirmation page
   * with a `POST` button instead.
   *
   * @param request the request
   * @param options see {@link LogoutOptions}
   * @returns the response
   * @throws `StoreUnavailableError` when the session cannot be read or ended (the cookie is kept:
   *   retry later)
   * @example
   * ```ts
   * if (url.pathname === '/logout') return auth.logout(request)
   * ```
   * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html
   */
  logout(request: RequestLike, options?: LogoutOptions): Promise<Response>

  /**
   * Receive an OpenID Connect back-channel logout: validate the `logout_token` form field (§2.6)
   * and end the sessions of its `sid` (or, without one, of its `sub`). `200` on success, `400`
   * JSON `{ error, error_description }` otherwise (§2.8) — `invalid_request` for a bad token,
   * `temporarily_unavailable` when the sessions could not be ended, in which case the same token is
   * accepted again —, always `Cache-Control: no-store`.
   *
   * @param request the provider's POST
   * @returns the response
   * @example
   * ```ts
   * if (url.pathname === '/backchannel-logout') return auth.backchannelLogout(request)
   * ```
   * @see https://openid.net/specs/openid-connect-backchannel-1_0.html
   */
  backchannelLogout(request: FormRequest): Promise<Response>

  /**
   * Turn an error thrown by these methods into a response (400 callback page, 401, 503…), with
   * the `Set-Cookie` deletions the error carries.
   *
   * @param request the request being answered
   * @param error what was thrown
   * @returns the response
   * @example
   * ```ts
   * try { return await auth.callback(request) } catch (e) { return auth.errorResponse(request, e) }
   * ```
   */
  errorResponse(request: RequestLike, error: unknown): Response
}
