/**
 * `createOidcSession`: the composition root. It validates the options, wires the provider layer,
 * the store, the refresh scheduler, login, authenticate, logout and the responses together, and
 * returns the public {@link OidcSession} — which holds no secret.
 *
 * @module
 */
import { isManagedParam, resolveConfig, type OidcSessionConfig } from '../config.js'
import {
  InsufficientAuthenticationError,
  invalidArg,
  OidcSessionError,
  SessionRequiredError,
  StoreUnavailableError,
} from '../errors.js'
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
import { isListingStore, type SessionStore, type StoreContext } from '../stores/types.js'
import { revokeToken } from '../oidc/end-session.js'
import { createSessionControl } from './control.js'
import type { Sealer } from './codec.js'
import { createAuthenticator } from './authenticate.js'
import { createSealer } from './codec.js'
import { createHandler } from './handler.js'
import { createLogin } from './login.js'
import { emit } from './events.js'
import type { SessionHooks } from './hooks.js'
import { observe } from './observe.js'
import { createResourceTokens } from './resource-tokens.js'
import { idTokenClaims, type Session, type SessionData } from './session.js'
import type {
  AuthResult,
  OidcSession,
  ProtectOptions,
  ProtectResult,
  SessionPatch,
} from './types.js'

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
export function createOidcSession<TData extends SessionData = SessionData>(
  options: OidcSessionConfig<TData>,
): OidcSession<TData> {
  const config = resolveConfig(options)
  const { origin, routes, now } = config
  const context = createProviderContext(config.provider)
  const publicStore = config.store ?? cookieStore({ secrets: config.secrets })
  // Every write goes through `hooks.beforeSave`; `auth.store` stays the store as configured.
  // Listing stores keep a sealed copy of each session's refresh token beside its summary, so
  // that ending the session from elsewhere can revoke it.
  const escrow = createSealer(config.secrets, 'escrow')
  const store = wrapStore(
    publicStore,
    config.hooks.beforeSave,
    isListingStore(publicStore) ? escrow : undefined,
  )
  const events = observe(config.events, config.onEvent, now)
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
  const written: StoreContext['written'] = ({ session, chunks, bytes }) =>
    emit(events, 'cookieWritten', { sessionId: session.id, sub: session.sub, chunks, bytes })
  const storeContext = (request: RequestLike): StoreContext => ({
    jar: new CookieJar(getHeader(request, 'cookie')),
    cookie: config.cookie,
    now: nowSeconds(),
    written,
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
    events,
    logger: config.logger,
    dpopKey,
    lifetimes: config.lifetimes,
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
    events,
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
    events,
    isManagedParam,
    now,
    ...(config.dpop ? { dpopKeys } : {}),
    hooks: config.hooks,
    storeUserAgent: config.storeUserAgent,
    silentCookie: {
      name: `${config.cookie.name}.nosilent`,
      attributes: config.cookie.attributes,
      seconds: config.silentLoginSeconds,
    },
  })
  const logout = createLogout({
    origin,
    requestOrigin: config.requestOrigin,
    logoutPath: routes.logout,
    settings: config.logout,
    context,
    store,
    storeContext,
    async endSession(ctx, session, reason) {
      await endSession(ctx, session, reason)
      emit(events, 'logout', { sessionId: session.id, sub: session.sub })
    },
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
    events,
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

  async function protect(
    request: RequestLike,
    options: ProtectOptions = {},
  ): Promise<ProtectResult> {
    const ask = stepUpOf(options)
    let result: AuthResult
    try {
      result = await authenticate(
        storeContext(request),
        options.waitUntil ? { waitUntil: options.waitUntil } : {},
      )
    } catch (error) {
      // Never a 500 for a store or provider failure: the responder answers 503 for transient ones.
      const response = responder.errorResponse(request, error)
      const reason =
        error instanceof OidcSessionError && error.transient ? 'store-unavailable' : 'tampered'
      return { ok: false, session: null, headers: new Headers(), reason, response }
    }
    if (result.ok) {
      const { session, headers, reason, warning } = result
      const miss = ask && stepUpMiss(session, ask, nowSeconds())
      if (miss) {
        // Step-up (RFC 9470). The answer keeps every cookie this request set (a refresh).
        const response =
          miss === 'claims'
            ? responder.errorResponse(
                request,
                new InsufficientAuthenticationError('a required claim is missing'),
              )
            : responder.stepUp(request, ask)
        for (const line of headers.getSetCookie()) response.headers.append('set-cookie', line)
        const out = new Headers()
        for (const line of headers.getSetCookie()) out.append('set-cookie', line)
        return {
          ok: false,
          session: null,
          headers: out,
          reason: miss === 'claims' ? 'insufficient-claims' : 'insufficient-authentication',
          response,
        }
      }
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

  const revocationTtlSeconds = config.absoluteDuration + config.lifecycle.clockToleranceSeconds
  const control = createSessionControl({
    store,
    context,
    revocationList,
    revocationTtlSeconds,
    revocationTimeoutMs: config.logout.revocationTimeoutMs,
    escrow,
    events,
    now: nowSeconds,
    authenticate: (ctx) => authenticate(ctx),
    async endOwn(ctx, session, reason) {
      // Copies of a cookie session elsewhere are refused too (the revocation list, by id).
      await revocationList.add(
        { kind: 'session', value: session.id, notBefore: ctx.now },
        revocationTtlSeconds,
      )
      const token = session.tokens.refreshToken
      await endSession(ctx, session, reason)
      if (token !== undefined)
        await revokeToken(context, token, 'refresh_token', config.logout.revocationTimeoutMs)
    },
  })

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
    store: publicStore,
    handler: createHandler(operations, routes, origin, responder),
    login,
    callback,
    authenticate: (request, authOptions) => authenticate(storeContext(request), authOptions),
    protect,
    async updateSession(request, patch, updateOptions) {
      if (
        (typeof patch !== 'object' || patch === null || Array.isArray(patch)) &&
        typeof patch !== 'function'
      )
        throw invalidArg('"patch" must be an object or a function', 'ERR_INVALID_ARG_TYPE')
      const ctx = storeContext(request)
      let session = requireSession(await authenticate(ctx, updateOptions))
      // Compare-and-set on stateful stores: on a lost race, apply the patch to the newer session.
      for (let attempt = 0; ; attempt++) {
        session.data = applyPatch(session.data, patch)
        if (await store.save(ctx, session)) break
        if (attempt >= 2)
          throw new StoreUnavailableError('the session kept changing during the update')
        const again = await store.load(ctx)
        if (!again.session) throw new SessionRequiredError(again.reason)
        session = again.session
      }
      return { session, headers: ctx.jar.applyTo(new Headers()) }
    },
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
    async sessions(request) {
      return control.sessions(storeContext(request))
    },
    async endSession(request, id) {
      const ctx = storeContext(request)
      const ended = await control.endSession(ctx, id)
      return { ended, headers: ctx.jar.applyTo(new Headers()) }
    },
    endAllSessions: (sub) => control.endAllSessions(sub),
    admin: control.admin,
    forward,
    logout: operations.logout,
    backchannelLogout,
    errorResponse: (request, error) => responder.errorResponse(request, error),
  }
  // The manager works on `Session`; the application sees its own data type.
  return Object.freeze(auth) as unknown as OidcSession<TData>
}

/**
 * `store`, with `beforeSave` run before every write and, for a listing store, the session's
 * refresh token sealed into `context.escrow` (the same store when there is neither).
 */
function wrapStore(
  store: SessionStore,
  beforeSave: SessionHooks['beforeSave'],
  escrow: Sealer | undefined,
): SessionStore {
  if (!beforeSave && !escrow) return store
  // Delegates everything else (the stateful lookups, getters) to the store itself.
  const hooked = Object.create(store) as SessionStore
  Object.defineProperty(hooked, 'save', {
    value: async (context: StoreContext, session: Session) => {
      await beforeSave?.(session)
      const token = session.tokens.refreshToken
      if (!escrow || token === undefined) return store.save(context, session)
      const sealed = await escrow.seal({ r: token }, session.expiresAt)
      return store.save({ ...context, escrow: sealed }, session)
    },
  })
  return hooked
}

/** The patched application data: a shallow merge, or what the patch function returns. */
function applyPatch(data: SessionData | undefined, patch: SessionPatch): SessionData {
  const current = data ?? {}
  const next =
    typeof patch === 'function' ? patch(structuredClone(current)) : { ...current, ...patch }
  if (typeof next !== 'object' || next === null || Array.isArray(next))
    throw invalidArg('the session data must be an object', 'ERR_INVALID_ARG_TYPE')
  return next
}

/** What a `protect()` call asks of the session's authentication, validated; `undefined`: nothing. */
interface StepUp {
  acrValues: readonly string[] | undefined
  maxAge: number | undefined
  claims: ProtectOptions['claims']
}

function stepUpOf(options: ProtectOptions): StepUp | undefined {
  const { acr, maxAge, claims } = options
  if (acr === undefined && maxAge === undefined && claims === undefined) return undefined
  const acrValues = typeof acr === 'string' ? [acr] : acr
  if (
    acrValues !== undefined &&
    (!Array.isArray(acrValues) ||
      acrValues.length === 0 ||
      !acrValues.every((v) => typeof v === 'string' && v !== '' && !/[\s"\\]/.test(v)))
  )
    throw invalidArg('"acr" must be a non-empty string or array of strings, without spaces')
  if (maxAge !== undefined && (!Number.isInteger(maxAge) || maxAge < 0))
    throw invalidArg('"maxAge" must be a non-negative integer (seconds)')
  if (
    claims !== undefined &&
    typeof claims !== 'function' &&
    (typeof claims !== 'object' || claims === null)
  )
    throw invalidArg('"claims" must be an object or a function', 'ERR_INVALID_ARG_TYPE')
  return { acrValues, maxAge, claims }
}

/** Which part of `ask` the session misses, if any. */
function stepUpMiss(
  session: Session,
  ask: StepUp,
  now: number,
): 'authentication' | 'claims' | undefined {
  const claims = idTokenClaims(session)
  if (ask.acrValues !== undefined) {
    const acr = session.acr ?? (typeof claims.acr === 'string' ? claims.acr : undefined)
    if (acr === undefined || !ask.acrValues.includes(acr)) return 'authentication'
  }
  if (ask.maxAge !== undefined) {
    const authTime =
      session.authTime ?? (typeof claims.auth_time === 'number' ? claims.auth_time : undefined)
    if (authTime === undefined || now - authTime > ask.maxAge) return 'authentication'
  }
  if (ask.claims !== undefined) {
    const ok =
      typeof ask.claims === 'function'
        ? ask.claims(claims)
        : Object.entries(ask.claims).every(
            ([name, value]) => JSON.stringify(claims[name]) === JSON.stringify(value),
          )
    if (!ok) return 'claims'
  }
  return undefined
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
