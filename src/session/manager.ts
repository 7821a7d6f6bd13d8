/**
 * `createOidcSession`: the composition root. It validates the options, wires the provider layer,
 * the store, the refresh scheduler, login, authenticate, logout and the responses together, and
 * returns the public {@link OidcSession} — which holds no secret.
 *
 * @module
 */
import { isManagedParam, resolveConfig, type OidcSessionConfig } from '../config.js'
import { invalidArg, OidcSessionError, SessionRequiredError } from '../errors.js'
import { createForwarder } from '../gateway/forward.js'
import { createBackchannelLogout } from '../logout/backchannel.js'
import { createLogout } from '../logout/logout.js'
import { memoryReplayCache } from '../logout/replay-cache.js'
import { memoryRevocationList, type RevocationList } from '../logout/revocation-list.js'
import { createDpopKeys } from '../oidc/dpop.js'
import { createLogoutTokenVerifier } from '../oidc/logout-token.js'
import { createProviderContext } from '../oidc/provider.js'
import { fetchUserInfo } from '../oidc/userinfo.js'
import { memoryResultCache } from '../refresh/result-cache.js'
import { createRefreshScheduler } from '../refresh/scheduler.js'
import { CookieJar } from '../request/cookie-jar.js'
import { getHeader, type RequestLike } from '../request/headers.js'
import { createResponder } from '../request/responses.js'
import { cookieStore } from '../stores/cookie/index.js'
import type { StoreContext } from '../stores/types.js'
import { createAuthenticator } from './authenticate.js'
import { createSealer } from './codec.js'
import { createHandler } from './handler.js'
import { createLogin } from './login.js'
import { createResourceTokens } from './resource-tokens.js'
import type { Session } from './session.js'
import type { AuthResult, OidcSession, ProtectResult, RequestOptions } from './types.js'

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
export function createOidcSession(options: OidcSessionConfig): OidcSession {
  const config = resolveConfig(options)
  const { origin, routes, now } = config
  const context = createProviderContext(config.provider)
  const store = config.store ?? cookieStore({ secrets: config.secrets })
  const resultCache = config.refresh.resultCache ?? memoryResultCache(10_000, now)
  const scheduler = createRefreshScheduler({
    context,
    cache: resultCache,
    ...(config.refresh.lock ? { lock: config.refresh.lock } : {}),
    resultTtlSeconds: config.refresh.resultTtlSeconds,
    ...(config.refresh.lockLeaseMs !== undefined
      ? { lockLeaseMs: config.refresh.lockLeaseMs }
      : {}),
    ...(config.refresh.lockWaitMs !== undefined ? { lockWaitMs: config.refresh.lockWaitMs } : {}),
    backoffInitialMs: config.refresh.backoffInitialMs,
    backoffMaxMs: config.refresh.backoffMaxMs,
    lifecycle: config.lifecycle,
  })
  const revocationList = config.logout.revocationList ?? memoryRevocationList(100_000, now)
  warnIfNotShared(config.logger, revocationList, [
    config.refresh.lock,
    config.refresh.resultCache,
    config.store?.stateful ? config.store : undefined,
  ])

  const nowSeconds = () => Math.floor(now() / 1000)
  const storeContext = (request: RequestLike): StoreContext => ({
    jar: new CookieJar(getHeader(request, 'cookie')),
    cookie: config.cookie,
    now: nowSeconds(),
  })
  // DPoP (RFC 9449): keys are created at login only when configured, but a session that has one is
  // always served with it (its tokens are bound to it).
  const dpopKeys = createDpopKeys(context, config.secrets)
  const dpopKey = async (session: Session) =>
    session.dpopKey === undefined ? undefined : dpopKeys.open(session.dpopKey, nowSeconds())
  const loginResources = config.provider.resources?.login ?? []
  /**
   * A resource a token may be asked for. RFC 8707 resources must be ones the login asked for: a
   * provider refuses others (`invalid_target`), and some (oidc-provider) consume a rotating
   * refresh token before refusing, which would end the grant.
   */
  const checkResource = (resource: unknown): string | undefined => {
    if (resource === undefined) return undefined
    if (typeof resource !== 'string' || resource === '')
      throw invalidArg('"resource" must be a non-empty string')
    if (config.resourceTokens.parameter === 'resource' && !loginResources.includes(resource))
      throw invalidArg('"resource" must be one of "resources.indicators" (RFC 8707 §2.2)')
    return resource
  }
  const cookiePrefix = `${config.cookie.name}.`
  const isOwnCookie = (name: string) =>
    name === config.cookie.name ||
    name.startsWith(cookiePrefix) ||
    name.startsWith(config.transactionCookie.prefix)
  const responder = createResponder({
    requestOrigin: config.requestOrigin,
    loginPath: routes.login,
    noReturn: [routes.login, routes.callback, routes.logout, routes.backchannelLogout],
    classify: config.classify,
    reconsent: () => context.currentProfile().reconsent,
  })

  const { authenticate, endSession } = createAuthenticator({
    store,
    scheduler,
    revocationList,
    lifecycle: config.lifecycle,
    background: config.refresh.background,
    backgroundAllowed: () =>
      context.profile().then(
        (profile) => profile.backgroundRefresh,
        () => false,
      ),
    events: config.events,
    logger: config.logger,
    dpopKey,
  })
  const resourceTokens = createResourceTokens({
    store,
    scheduler,
    revocationList,
    lifecycle: config.lifecycle,
    maxPerSession: config.resourceTokens.maxPerSession,
    parameter: config.resourceTokens.parameter,
    defaultResource: config.provider.resources?.default,
    dpopKey,
    events: config.events,
    logger: config.logger,
  })
  const { login, callback } = createLogin({
    requestOrigin: config.requestOrigin,
    context,
    store,
    storeContext,
    transactionCookie: config.transactionCookie,
    txSealer: createSealer(config.secrets, 'transaction'),
    absoluteDuration: config.absoluteDuration,
    events: config.events,
    isManagedParam,
    now,
    ...(config.dpop ? { dpopKeys } : {}),
  })
  const logout = createLogout({
    origin,
    requestOrigin: config.requestOrigin,
    logoutPath: routes.logout,
    settings: config.logout,
    context,
    store,
    storeContext,
    endSession,
    responder,
    scheduler,
    revocationList,
    clockToleranceSeconds: config.lifecycle.clockToleranceSeconds,
    logger: config.logger,
    now,
  })
  const backchannelLogout = createBackchannelLogout({
    context,
    store,
    verifier: createLogoutTokenVerifier(context, {
      maxAgeSeconds: config.logout.logoutTokenMaxAgeSeconds,
    }),
    replayCache: config.logout.replayCache ?? memoryReplayCache(10_000, now),
    revocationList,
    revokeRefreshTokens: config.logout.backchannelRevokeRefreshTokens,
    policy: config.logout.backchannel,
    revocationTimeoutMs: config.logout.revocationTimeoutMs,
    revocationTtlSeconds: config.absoluteDuration + config.lifecycle.clockToleranceSeconds,
    clockToleranceSeconds: config.lifecycle.clockToleranceSeconds,
    cookieName: config.cookie.name,
    storeContext: (cookieHeader) => storeContext({ url: '/', headers: { cookie: cookieHeader } }),
    now,
  })

  /** The session of a successful result, or the error that says why there is none. */
  function requireSession(result: AuthResult): Session {
    if (result.ok) return result.session
    if (result.error?.transient) throw result.error
    throw new SessionRequiredError(
      result.reason,
      result.error ? { cause: result.error } : undefined,
    )
  }

  async function protect(request: RequestLike, options?: RequestOptions): Promise<ProtectResult> {
    let result: AuthResult
    try {
      result = await authenticate(storeContext(request), options)
    } catch (error) {
      // Never a 500 for a store or provider failure: the responder answers 503 for transient ones.
      const response = responder.errorResponse(request, error)
      const reason =
        error instanceof OidcSessionError && error.transient ? 'store-unavailable' : 'tampered'
      return { ok: false, session: null, headers: new Headers(), reason, response }
    }
    if (result.ok) {
      const { session, headers, reason, warning } = result
      return warning
        ? { ok: true, session, headers, reason, warning }
        : { ok: true, session, headers, reason }
    }
    // Failure answers carry cookie deletions only (see `deletionsOnly`), never a new cookie.
    const response = responder.failureResponse(request, result.reason, result.headers, result.error)
    const headers = new Headers()
    for (const line of response.headers.getSetCookie()) headers.append('set-cookie', line)
    return { ok: false, session: null, headers, reason: result.reason, response }
  }

  const forward = createForwarder({
    origin,
    storeContext,
    authenticate: (ctx, authOptions) => authenticate(ctx, authOptions),
    responder,
    resourceTokens,
    dpopKey,
    isOwnCookie,
    checkResource,
    cookieName: config.cookie.name,
    dpopNonces: context.dpopNonces,
    fetch: config.provider.fetch,
  })

  const operations = {
    login,
    callback,
    logout: (request: RequestLike, logoutOptions?: Parameters<typeof logout>[1]) =>
      logout(request, logoutOptions),
    backchannelLogout,
  }
  const auth: OidcSession = {
    routes,
    issuer: config.provider.issuer.href,
    clientId: config.provider.client.id,
    store,
    handler: createHandler(operations, routes, origin, responder),
    login,
    callback,
    authenticate: (request, authOptions) => authenticate(storeContext(request), authOptions),
    protect,
    async accessToken(request, tokenOptions = {}) {
      const resource = checkResource(tokenOptions.resource)
      const { waitUntil } = tokenOptions
      const ctx = storeContext(request)
      const session = requireSession(await authenticate(ctx, waitUntil ? { waitUntil } : {}))
      const { token } = await resourceTokens.token(ctx, session, resource, { waitUntil })
      return {
        accessToken: token.accessToken,
        tokenType: token.tokenType,
        expiresAt: token.expiresAt,
        ...(token.resource !== undefined ? { resource: token.resource } : {}),
        headers: ctx.jar.applyTo(new Headers()),
      }
    },
    async userinfo(request, options) {
      const result = await authenticate(storeContext(request), options)
      const session = requireSession(result)
      const dpop =
        session.tokens.tokenType.toLowerCase() === 'dpop' ? await dpopKey(session) : undefined
      return {
        claims: await fetchUserInfo(context, session.tokens.accessToken, session.sub, dpop),
        headers: result.headers,
      }
    },
    forward,
    logout: operations.logout,
    backchannelLogout,
    errorResponse: (request, error) => responder.errorResponse(request, error),
  }
  return Object.freeze(auth)
}

/**
 * Warn once when the revocation list is in-process while other parts are shared across
 * processes: a logout in one instance would not end copies of the cookie presented to another.
 */
function warnIfNotShared(
  logger: { warn(message: string): void },
  revocationList: RevocationList,
  parts: readonly (object | undefined)[],
): void {
  if (revocationList.shared !== false) return
  const shared = parts.some(
    (part) => part !== undefined && (part as { shared?: boolean }).shared !== false,
  )
  if (!shared) return
  logger.warn(
    'oidc-session: the revocation list is in-process (the default) while the session store, refresh lock or result cache is shared: a logout or back-channel logout in one instance will not end copies of the session presented to another. Set "logout.revocationList" (for example redisRevocationList from oidc-session/redis).',
  )
}
