/**
 * `createOidcSession`: login → callback → authenticate (refreshing when due) → logout, on Web
 * standard `Request`/`Response`, for any store.
 *
 * @module
 */
import { decodeJwt } from 'jose'
import type { UserInfoResponse } from 'oauth4webapi'
import { resolveConfig, type OidcSessionConfig, type ResolvedConfig } from '../config.js'
import {
  CallbackError,
  OidcSessionError,
  RefreshRejectedError,
  SessionRequiredError,
  StoreUnavailableError,
} from '../errors.js'
import { randomId } from '../lib/random.js'
import { createBackchannelLogout, type BackchannelRequest } from '../logout/backchannel.js'
import { trackRefreshes } from '../logout/in-flight.js'
import { createLogout, type LogoutOptions } from '../logout/logout.js'
import { memoryReplayCache } from '../logout/replay-cache.js'
import { isRevoked, memoryRevocationList } from '../logout/revocation-list.js'
import { createLogoutTokenVerifier } from '../oidc/logout-token.js'
import { memoryResultCache } from '../refresh/result-cache.js'
import { buildAuthorizationUrl } from '../oidc/authorize.js'
import { exchangeCode } from '../oidc/callback.js'
import { createProviderContext, type ProviderContext } from '../oidc/provider.js'
import { fetchUserInfo } from '../oidc/userinfo.js'
import {
  createRefreshScheduler,
  type RefreshOutcome,
  type RefreshScheduler,
} from '../refresh/scheduler.js'
import { CookieJar } from '../request/cookie-jar.js'
import { getHeader, getMethod, getUrl, type RequestLike } from '../request/headers.js'
import type { ClassifyOptions } from '../request/is-ajax.js'
import { safeReturnTo } from '../request/url.js'
import { cookieStore } from '../stores/cookie/index.js'
import type { LoadFailure, SessionStore, StoreContext } from '../stores/types.js'
import { tokenState } from '../tokens/lifecycle.js'
import { tokenSetFromResponse } from '../tokens/token-set.js'
import { createSealer, type Sealer } from './codec.js'
import { emit } from './events.js'
import type { Session } from './session.js'
import { createResponder, redirect } from './responses.js'
import { takeTransaction, writeTransaction } from './transaction-cookie.js'

/** Why `authenticate` found no usable session. */
export type AuthFailure =
  LoadFailure | 'refresh-rejected' | 'unrefreshable' | 'provider-unavailable' | 'store-unavailable'

/** Result of {@link OidcSession.authenticate}. */
export type AuthResult =
  | {
      session: Session
      /** `Set-Cookie` lines to send (after a refresh or re-seal); may be empty. */
      headers: Headers
      reason: 'ok' | 'refreshed'
      /** A transient refresh failure while the access token is still valid. */
      warning?: OidcSessionError
      error?: undefined
    }
  | {
      session: null
      headers: Headers
      reason: AuthFailure
      /** The typed error behind `reason`, when there is one. */
      error?: OidcSessionError
      warning?: undefined
    }

/** Result of {@link OidcSession.protect}: a session, or the response to send instead. */
export type ProtectResult =
  | { session: Session; headers: Headers; response?: undefined }
  | { session: null; headers: Headers; response: Response }

/** Options of {@link OidcSession.login}. */
export interface LoginOptions {
  /** Same-origin path to land on after login; anything else falls back to `/`. */
  returnTo?: string
  /** Extra authorization parameters for this login (`prompt`, `login_hint`, `ui_locales`…). */
  authorizationParams?: Record<string, string>
}

/** The object returned by {@link createOidcSession}. */
export interface OidcSession {
  /** Start a login: `302` to the provider with a sealed transaction cookie. */
  login(request: RequestLike, options?: LoginOptions): Promise<Response>
  /**
   * Complete a login: `302` to the transaction's `returnTo` with the session cookies.
   * @throws {@link CallbackError} (`ERR_CALLBACK_*`), `ProviderUnavailableError`, `StoreUnavailableError`
   */
  callback(request: RequestLike): Promise<Response>
  /** Load the session, refreshing its tokens when due. Never throws for a missing or bad session. */
  authenticate(request: RequestLike): Promise<AuthResult>
  /** {@link authenticate}, or the right failure response: 401/503 JSON for API calls, 302/503 for navigations. */
  protect(request: RequestLike): Promise<ProtectResult>
  /**
   * A fresh access token for the request's session.
   * @throws {@link SessionRequiredError} when there is no usable session; transient errors as thrown
   */
  accessToken(
    request: RequestLike,
  ): Promise<{ accessToken: string; tokenType: string; headers: Headers }>
  /** Call the provider's UserInfo endpoint with the session's (fresh) access token. */
  userinfo(request: RequestLike): Promise<{ claims: UserInfoResponse; headers: Headers }>
  /**
   * End the session locally and at the provider: `302` to the end-session endpoint with the
   * freshest id_token as `id_token_hint` (or to the post-logout URI); `403` for a cross-site
   * request. The refresh token is revoked, best effort. See `createLogout` in `src/logout/`.
   */
  logout(request: RequestLike, options?: LogoutOptions): Promise<Response>
  /**
   * Receive an OpenID Connect back-channel logout: validate the `logout_token` form field (§2.6)
   * and end the sessions of its `sid` (or, without one, of its `sub`). `200` on success, `400`
   * JSON `{ error, error_description }` otherwise, `Cache-Control: no-store`.
   * @see https://openid.net/specs/openid-connect-backchannel-1_0.html
   */
  backchannelLogout(request: BackchannelRequest): Promise<Response>
  /** Turn an error thrown by these methods into a response (400 callback page, 401, 503…). */
  errorResponse(request: RequestLike, error: unknown): Response
  /** The resolved configuration (read-only). */
  readonly config: Readonly<ResolvedConfig>
  /** The store in use. */
  readonly store: SessionStore
}

/** Extra options of {@link createOidcSession} beyond {@link OidcSessionConfig}. */
export interface CreateOptions {
  /** How `protect()` tells API calls from navigations. */
  classify?: ClassifyOptions
}

/**
 * Create the session manager.
 *
 * @param options see {@link OidcSessionConfig}; validated now
 * @returns an {@link OidcSession}
 * @throws TypeError `ERR_INVALID_ARG_VALUE` / `ERR_INVALID_ARG_TYPE` for invalid options
 * @example
 * ```ts
 * const auth = createOidcSession({
 *   issuer: 'https://idp.example.com',
 *   client: { id: 'app', secret: process.env.CLIENT_SECRET! },
 *   redirectUri: 'https://app.example.com/callback',
 *   secrets: [process.env.SESSION_SECRET!],
 * })
 * ```
 */
export function createOidcSession(options: OidcSessionConfig & CreateOptions): OidcSession {
  const config = resolveConfig(options)
  const classify = options.classify ?? {}
  const context: ProviderContext = createProviderContext(config)
  const store = config.store ?? cookieStore({ secrets: config.secrets })
  const txSealer: Sealer = createSealer(config.secrets, 'transaction')
  // Logout reads the recent-result cache, so the manager owns it.
  const resultCache = config.resultCache ?? memoryResultCache(10_000, config.now)
  const scheduler: RefreshScheduler = createRefreshScheduler({
    context,
    cache: resultCache,
    ...(config.lock ? { lock: config.lock } : {}),
    resultTtlSeconds: config.resultTtlSeconds,
    ...(config.lockLeaseMs !== undefined ? { lockLeaseMs: config.lockLeaseMs } : {}),
    ...(config.lockWaitMs !== undefined ? { lockWaitMs: config.lockWaitMs } : {}),
    backoffInitialMs: config.backoffInitialMs,
    backoffMaxMs: config.backoffMaxMs,
  })
  const nowSeconds = () => Math.floor(config.now() / 1000)
  const cookieName = `${config.cookies.prefix}${config.cookies.name}`
  const cookieAttributes = {
    httpOnly: true,
    secure: config.cookies.secure,
    sameSite: config.cookies.sameSite,
    path: config.cookies.path,
    domain: config.cookies.domain,
  }

  const storeContext = (
    request: RequestLike,
    jar = new CookieJar(getHeader(request, 'cookie')),
  ): StoreContext => ({
    jar,
    cookie: { name: cookieName, attributes: cookieAttributes },
    now: nowSeconds(),
  })

  const responder = createResponder(config, classify)

  async function endSession(
    ctx: StoreContext,
    session: Session,
    reason: 'refresh-rejected' | 'expired' | 'logout' | 'backchannel-logout',
  ) {
    await store.destroy(ctx, session)
    emit(config.events, 'sessionEnded', { sessionId: session.id, sub: session.sub, reason })
  }

  // Logout and back-channel logout.
  const tracked = trackRefreshes(scheduler)
  const revocationList = config.logout.revocationList ?? memoryRevocationList(100_000, config.now)

  /** The failure for a session on the back-channel revocation list, else `undefined`. */
  async function revocationCheck(
    ctx: StoreContext,
    session: Session,
  ): Promise<(AuthResult & { session: null }) | undefined> {
    try {
      if (!(await isRevoked(revocationList, session))) return undefined
    } catch (error) {
      const typed =
        error instanceof OidcSessionError
          ? error
          : new StoreUnavailableError('the revocation list failed', { cause: error })
      return { session: null, headers: new Headers(), reason: 'store-unavailable', error: typed }
    }
    await endSession(ctx, session, 'backchannel-logout').catch(() => undefined)
    return { session: null, headers: new Headers(), reason: 'revoked' }
  }

  /** A store (or lock, result cache) failure as a typed error. */
  const storeError = (error: unknown, message: string): OidcSessionError =>
    error instanceof OidcSessionError ? error : new StoreUnavailableError(message, { cause: error })

  async function authenticateWith(ctx: StoreContext): Promise<AuthResult> {
    const headers = new Headers()
    const done = <T extends AuthResult>(result: T): T => {
      ctx.jar.applyTo(result.headers)
      return result
    }
    let loaded
    try {
      loaded = await store.load(ctx)
    } catch (error) {
      const typed = storeError(error, 'the session store failed')
      return done({ session: null, headers, reason: 'store-unavailable', error: typed })
    }
    if (!loaded.session) return done({ session: null, headers, reason: loaded.reason })
    // Back-channel logout: a session the provider ended is refused here.
    const revoked = await revocationCheck(ctx, loaded.session)
    if (revoked) return done(revoked)
    const session = loaded.session
    const state = tokenState(session.tokens, ctx.now, {
      leewaySeconds: config.leewaySeconds,
      clockToleranceSeconds: config.clockToleranceSeconds,
    })
    if (state === 'unrefreshable') {
      await endSession(ctx, session, 'expired')
      return done({ session: null, headers, reason: 'unrefreshable' })
    }
    if (state === 'fresh') {
      // Sealed under a previous key: re-seal under the current one. Best effort: the session is
      // valid as loaded, and the next request tries again.
      if (loaded.stale) await store.save(ctx, session).catch(() => false)
      return done({ session, headers, reason: 'ok' })
    }
    if (state === 'due' && config.refreshInBackground && store.stateful) {
      // Refresh ahead without blocking this request: the access token is still valid, and a
      // stateful store's cookie (a ticket) does not change when the session does.
      refreshSession(ctx, session, state).catch(() => undefined)
      return done({ session, headers, reason: 'ok' })
    }
    return done(await refreshSession(ctx, session, state, headers))
  }

  /**
   * Refresh `session` (single-flight; a recent refresh of the same token is reused) and save it.
   * On a lost compare-and-set, the stored (newer) session wins.
   */
  async function refreshSession(
    ctx: StoreContext,
    session: Session,
    state: 'due' | 'expired',
    headers = new Headers(),
  ): Promise<AuthResult> {
    const ids = { sessionId: session.id, sub: session.sub }
    const consumed = session.tokens.refreshToken
    let outcome: RefreshOutcome
    try {
      outcome = await scheduler.refresh(session.tokens)
    } catch (error) {
      const typed = storeError(error, 'the refresh lock or result cache failed')
      emit(config.events, 'refreshError', { ...ids, code: typed.code, transient: typed.transient })
      if (typed instanceof RefreshRejectedError) {
        await endSession(ctx, session, 'refresh-rejected').catch(() => undefined)
        return { session: null, headers, reason: 'refresh-rejected', error: typed }
      }
      if (typed.transient && state === 'due')
        return { session, headers, reason: 'ok', warning: typed }
      return {
        session: null,
        headers,
        reason:
          typed instanceof StoreUnavailableError ? 'store-unavailable' : 'provider-unavailable',
        error: typed,
      }
    }
    let current = session
    current.tokens = outcome.tokens
    try {
      // A stateful store may have a newer version (another request saved first): take it, unless it
      // still holds the refresh token this refresh consumed, then write the new tokens over it.
      for (let attempt = 0; !(await store.save(ctx, current)); attempt++) {
        const again = await store.load(ctx)
        if (!again.session) return { session: null, headers, reason: again.reason }
        current = again.session
        if (current.tokens.refreshToken !== consumed) break
        current.tokens = outcome.tokens
        if (attempt >= 2) break // serve the new tokens; the result cache covers the next request
      }
    } catch (error) {
      const typed = storeError(error, 'saving the refreshed session failed')
      emit(config.events, 'refreshError', { ...ids, code: typed.code, transient: typed.transient })
      return { session: null, headers, reason: 'store-unavailable', error: typed }
    }
    emit(config.events, 'refresh', { ...ids, source: outcome.source })
    return { session: current, headers, reason: 'refreshed' }
  }

  const logout = createLogout({
    config,
    context,
    store,
    storeContext,
    endSession,
    responder,
    scheduler: tracked,
    resultCache,
  })
  const backchannelLogout = createBackchannelLogout({
    config,
    context,
    store,
    verifier: createLogoutTokenVerifier(context, {
      replayCache: config.logout.replayCache ?? memoryReplayCache(10_000, config.now),
      maxAgeSeconds: config.logout.logoutTokenMaxAgeSeconds,
    }),
    revocationList,
    cookieName,
    storeContext: (cookieHeader) => storeContext({ url: '/', headers: { cookie: cookieHeader } }),
  })

  const manager: OidcSession = {
    config,
    store,

    async login(request, loginOptions = {}) {
      const now = nowSeconds()
      const url = getUrl(request, config.appOrigin)
      const returnTo = safeReturnTo(
        loginOptions.returnTo ?? url.searchParams.get('returnTo'),
        config.appOrigin,
      )
      const { url: authorizationUrl, transaction } = await buildAuthorizationUrl(
        context,
        returnTo,
        loginOptions.authorizationParams,
      )
      const jar = new CookieJar(getHeader(request, 'cookie'))
      await writeTransaction(jar, config, txSealer, transaction, now)
      return redirect(authorizationUrl.href, jar.applyTo(new Headers()))
    },

    async callback(request) {
      const url = getUrl(request, config.appOrigin)
      const params =
        getMethod(request) === 'POST' && request instanceof Request
          ? new URLSearchParams(await request.text())
          : url.searchParams
      const ctx = storeContext(request)
      const transaction = await takeTransaction(
        ctx.jar,
        config,
        txSealer,
        params.get('state'),
        ctx.now,
      )
      if (transaction === 'missing' || transaction === 'invalid') {
        throw new CallbackError(
          'ERR_CALLBACK_NO_TRANSACTION',
          transaction === 'missing'
            ? 'no login transaction matches this callback (expired, already used, or started in another browser)'
            : 'the login transaction cookie is invalid (tampered, expired or foreign)',
        )
      }
      const { response, claims } = await exchangeCode(context, params, transaction)
      const now = ctx.now
      const session: Session = {
        id: randomId(16),
        version: 0,
        createdAt: now,
        expiresAt: now + config.absoluteDuration,
        sub: claims.sub,
        ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
        tokens: tokenSetFromResponse(response, now),
      }
      // A new login replaces whatever session the browser had (no fixation, no stale chunks).
      const previous = await store.load(ctx).catch(() => null)
      if (previous?.session) await store.destroy(ctx, previous.session)
      if (!(await store.save(ctx, session))) {
        // Only a stateful store refuses a new session: it was ended while being created (a
        // back-channel logout for this user raced the login). Do not report a login.
        throw new CallbackError(
          'ERR_CALLBACK_INVALID',
          'the session was ended while it was being created',
        )
      }
      emit(config.events, 'login', {
        sessionId: session.id,
        sub: session.sub,
        ...(session.sid ? { sid: session.sid } : {}),
      })
      return redirect(
        new URL(transaction.returnTo, config.appOrigin).href,
        ctx.jar.applyTo(new Headers()),
      )
    },

    authenticate: (request) => authenticateWith(storeContext(request)),

    async protect(request) {
      let result: AuthResult
      try {
        result = await authenticateWith(storeContext(request))
      } catch (error) {
        // A store or provider that fails while a dead session is being ended: 503, not a 500.
        if (!(error instanceof OidcSessionError && error.transient)) throw error
        const reason =
          error instanceof StoreUnavailableError ? 'store-unavailable' : 'provider-unavailable'
        const response = responder.failureResponse(request, reason)
        return { session: null, headers: new Headers(), response }
      }
      if (result.session) return { session: result.session, headers: result.headers }
      // Failure answers carry cookie deletions only (see `deletionsOnly`), never a new cookie.
      const response = responder.failureResponse(request, result.reason, result.headers)
      const headers = new Headers()
      for (const line of response.headers.getSetCookie()) headers.append('set-cookie', line)
      return { session: null, headers, response }
    },

    async accessToken(request) {
      const session = requireSession(await authenticateWith(storeContext(request)))
      return {
        accessToken: session.tokens.accessToken,
        tokenType: session.tokens.tokenType,
        headers: session.headers,
      }
    },

    async userinfo(request) {
      const session = requireSession(await authenticateWith(storeContext(request)))
      return {
        claims: await fetchUserInfo(context, session.tokens.accessToken, session.sub),
        headers: session.headers,
      }
    },

    logout: (request, logoutOptions) => logout(request, logoutOptions),

    backchannelLogout: (request) => backchannelLogout(request),

    errorResponse: (request, error) => responder.errorResponse(request, error),
  }

  function requireSession(result: AuthResult): Session & { headers: Headers } {
    if (result.session)
      return Object.assign(Object.create(null) as object, result.session, {
        headers: result.headers,
      })
    if (result.error?.transient) throw result.error
    throw new SessionRequiredError(
      result.reason,
      result.error ? { cause: result.error } : undefined,
    )
  }

  return manager
}

/** Claims of the session's id_token (decoded, not re-verified: it was verified when received). */
export function idTokenClaims(session: Session): Record<string, unknown> {
  return session.tokens.idToken ? decodeJwt(session.tokens.idToken) : { sub: session.sub }
}
