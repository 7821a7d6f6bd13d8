/**
 * Login and callback: the authorization code flow with PKCE, a sealed transaction cookie per
 * pending login, and a new session (never an adopted one) at the end.
 *
 * @module
 */
import {
  CallbackError,
  InsufficientAuthenticationError,
  OidcSessionError,
  SilentLoginError,
  invalidArg,
} from '../errors.js'
import { randomId } from '../lib/random.js'
import { buildAuthorizationUrl } from '../oidc/authorize.js'
import { exchangeCode } from '../oidc/callback.js'
import type { DpopKeys } from '../oidc/dpop.js'
import type { ProviderContext } from '../oidc/provider.js'
import { CookieJar, type CookieAttributes } from '../request/cookie-jar.js'
import { readForm, type FormRequest } from '../request/form.js'
import { getHeader, getMethod, getUrl, type RequestLike } from '../request/headers.js'
import { onRequestOrigin } from '../request/origin.js'
import { redirect } from '../request/responses.js'
import { safeReturnTo } from '../request/url.js'
import type { SessionStore, StoreContext } from '../stores/types.js'
import { tokenSetFromResponse } from '../tokens/token-set.js'
import type { Sealer } from './codec.js'
import { emit, type SessionEvents } from './events.js'
import type { SessionHooks } from './hooks.js'
import type { Session } from './session.js'
import {
  takeTransaction,
  writeTransaction,
  type TransactionCookieOptions,
} from './transaction-cookie.js'
import type { LoginOptions } from './types.js'

/** What {@link createLogin} needs. */
export interface LoginDeps {
  /** The origin a request is answered from (the app origin, or a trusted forwarded one). */
  requestOrigin(request: RequestLike): string
  context: ProviderContext
  store: SessionStore
  storeContext(request: RequestLike): StoreContext
  transactionCookie: TransactionCookieOptions
  txSealer: Sealer
  /** Absolute session lifetime, seconds. */
  absoluteDuration: number
  events: SessionEvents
  /** `true` for authorization parameters only the library may set (`state`, `nonce`, PKCE…). */
  isManagedParam(name: string): boolean
  now: () => number
  /** With DPoP (RFC 9449): each new session gets its own key, which binds the code exchange. */
  dpopKeys?: DpopKeys
  /** Application hooks (`onCallback`). */
  hooks?: SessionHooks
  /** Keep the `User-Agent` in new sessions. */
  storeUserAgent?: boolean
  /**
   * The cookie that stops silent logins for a while after one came back without a session, and
   * for how long (seconds; `0`: never set).
   */
  silentCookie?: { name: string; attributes: CookieAttributes; seconds: number }
}

/** Provider answers to `prompt=none` that mean "the user is needed", not "the login failed". */
const SILENT_ERRORS = new Set([
  'login_required',
  'interaction_required',
  'consent_required',
  'account_selection_required',
])

/**
 * Create `login(request, options)` and `callback(request)`.
 *
 * @param deps see {@link LoginDeps}
 * @returns the two handlers behind `OidcSession.login` and `OidcSession.callback`
 * @example
 * ```ts
 * const { login, callback } = createLogin(deps)
 * const response = await login(request, { returnTo: '/orders' })
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 * @see https://www.rfc-editor.org/rfc/rfc7636 (PKCE)
 */
export function createLogin(deps: LoginDeps): {
  login(request: RequestLike, options?: LoginOptions): Promise<Response>
  callback(request: FormRequest): Promise<Response>
} {
  const { context, store, txSealer } = deps
  const nowSeconds = () => Math.floor(deps.now() / 1000)
  /** The redirect URI for a request: the configured one, on the request's origin. */
  const redirectUriFor = (origin: string) =>
    onRequestOrigin(context.options.redirectUri, context.options.redirectUri.origin, origin)

  async function login(request: RequestLike, options: LoginOptions = {}): Promise<Response> {
    const extra = options.authorizationParams ?? {}
    for (const [name, value] of Object.entries(extra)) {
      if (typeof value !== 'string')
        throw invalidArg(
          `authorization parameter "${name}" must be a string`,
          'ERR_INVALID_ARG_TYPE',
        )
      if (deps.isManagedParam(name))
        throw invalidArg(`authorization parameter "${name}" is managed by oidc-session`)
    }
    const origin = deps.requestOrigin(request)
    const returnTo = safeReturnTo(
      options.returnTo ?? getUrl(request, origin).searchParams.get('returnTo'),
      origin,
    )
    if (options.reconsent !== undefined && typeof options.reconsent !== 'boolean')
      throw invalidArg('"reconsent" must be a boolean', 'ERR_INVALID_ARG_TYPE')
    if (
      options.prompt !== undefined &&
      (typeof options.prompt !== 'string' || options.prompt === '')
    )
      throw invalidArg('"prompt" must be a non-empty string', 'ERR_INVALID_ARG_TYPE')
    const params = options.prompt === undefined ? extra : { ...extra, prompt: options.prompt }
    const silent = params.prompt === 'none'
    const jar = new CookieJar(getHeader(request, 'cookie'))
    const marker = deps.silentCookie
    // A silent login came back without a session a moment ago: do not ask the provider again.
    if (silent && marker && jar.get(marker.name) !== undefined)
      return redirect(new URL(returnTo, origin).href, jar.applyTo(new Headers()))
    const { url, request: authorization } = await buildAuthorizationUrl(context, params, {
      reconsent: options.reconsent === true,
      redirectUri: redirectUriFor(origin),
    })
    const acrValues = params.acr_values?.split(' ').filter((value) => value !== '')
    await writeTransaction(
      jar,
      deps.transactionCookie,
      txSealer,
      {
        ...authorization,
        returnTo,
        ...(acrValues && acrValues.length > 0 ? { acrValues } : {}),
        ...(silent ? { silent } : {}),
      },
      nowSeconds(),
    )
    return redirect(url.href, jar.applyTo(new Headers()))
  }

  async function complete(request: FormRequest, ctx: StoreContext): Promise<Response> {
    const origin = deps.requestOrigin(request)
    const params =
      getMethod(request) === 'POST'
        ? await readForm(request).catch(() => new URLSearchParams())
        : getUrl(request, origin).searchParams
    const transaction = await takeTransaction(
      ctx.jar,
      deps.transactionCookie,
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
    const dpop = await deps.dpopKeys?.create(ctx.now + deps.absoluteDuration)
    let exchanged: Awaited<ReturnType<typeof exchangeCode>>
    try {
      exchanged = await exchangeCode(
        context,
        params,
        transaction,
        dpop?.key,
        redirectUriFor(origin),
      )
    } catch (error) {
      if (
        transaction.silent &&
        error instanceof CallbackError &&
        error.error !== undefined &&
        SILENT_ERRORS.has(error.error)
      ) {
        // A normal outcome of `prompt=none`: back to `returnTo`, unauthenticated, and remember
        // not to try again for a while.
        const marker = deps.silentCookie
        if (marker && marker.seconds > 0)
          ctx.jar.set(marker.name, '1', { ...marker.attributes, maxAge: marker.seconds })
        emit(deps.events, 'silentLoginFailed', { error: error.error })
        throw new SilentLoginError(error.error, transaction.returnTo, {
          cause: error,
          headers: ctx.jar.applyTo(new Headers()),
        })
      }
      throw error
    }
    const { response, claims } = exchanged
    // Step-up: the provider must have delivered one of the `acr` values this login asked for.
    // What was asked is in the sealed transaction, never taken from the callback's URL.
    if (
      transaction.acrValues !== undefined &&
      !(typeof claims.acr === 'string' && transaction.acrValues.includes(claims.acr))
    ) {
      throw new InsufficientAuthenticationError(
        'the sign-in did not reach the authentication level this page requires',
        { acrValues: transaction.acrValues, maxAge: transaction.maxAge },
      )
    }
    const profile = await context.profile()
    const now = ctx.now
    const userAgent = deps.storeUserAgent ? getHeader(request, 'user-agent') : undefined
    let session: Session = {
      id: randomId(16),
      version: 0,
      createdAt: now,
      expiresAt: now + deps.absoluteDuration,
      sub: claims.sub,
      ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
      tokens: tokenSetFromResponse(response, now, profile.refreshTokenExpiresAt(response, now)),
      // Kept only for tokens the provider bound to it (it may answer Bearer anyway).
      ...(dpop && response.token_type === 'dpop' ? { dpopKey: dpop.sealed } : {}),
      ...(typeof claims.acr === 'string' ? { acr: claims.acr } : {}),
      ...(typeof claims.auth_time === 'number' ? { authTime: claims.auth_time } : {}),
      ...(userAgent ? { userAgent: userAgent.slice(0, 256) } : {}),
    }
    if (deps.hooks?.onCallback) {
      // The application decides what the session keeps (or refuses the login by throwing).
      const returned = await deps.hooks.onCallback(session, response, claims)
      if (returned && returned !== session) {
        const { id, version, createdAt, expiresAt, sub } = session
        session = { ...returned, id, version, createdAt, expiresAt, sub }
      }
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
    emit(deps.events, 'login', {
      sessionId: session.id,
      sub: session.sub,
      ...(session.sid ? { sid: session.sid } : {}),
      ...(session.acr ? { acr: session.acr } : {}),
      ...(transaction.silent ? { silent: true } : {}),
    })
    return redirect(new URL(transaction.returnTo, origin).href, ctx.jar.applyTo(new Headers()))
  }

  async function callback(request: FormRequest): Promise<Response> {
    const ctx = deps.storeContext(request)
    try {
      return await complete(request, ctx)
    } catch (error) {
      // The transaction cookie is used up whether or not the callback succeeded: the error's
      // answer must delete it too.
      if (error instanceof OidcSessionError && !(error instanceof SilentLoginError))
        for (const line of ctx.jar.setCookieLines())
          if (/;\s*max-age=0\s*(;|$)/i.test(line)) error.headers.append('set-cookie', line)
      throw error
    }
  }

  return { login, callback }
}
