/**
 * Logout: end the session locally, for every instance, and at the provider, with the freshest
 * id_token as the hint.
 *
 * @module
 */
import { decodeJwt } from 'jose'
import { StoreUnavailableError, OidcSessionError } from '../errors.js'
import { randomId } from '../lib/random.js'
import { endSessionUrl, revokeToken, type EndSessionHook } from '../oidc/end-session.js'
import type { ProviderContext } from '../oidc/provider.js'
import type { RefreshScheduler } from '../refresh/scheduler.js'
import { getHeader, getMethod, getUrl, type RequestLike } from '../request/headers.js'
import { onRequestOrigin } from '../request/origin.js'
import { escapeHtml, html, json, redirect, type Responder } from '../request/responses.js'
import type { Session } from '../session/session.js'
import type { SessionStore, StoreContext } from '../stores/types.js'
import { refreshTokenExpired } from '../tokens/lifecycle.js'
import type { TokenSet } from '../tokens/token-set.js'
import type { RevocationList } from './revocation-list.js'

/** Options of one `logout(request, options)` call. */
export interface LogoutOptions {
  /**
   * Where the provider sends the user afterwards, for this logout. Used only when it is exactly
   * the configured `postLogoutRedirectUri` or one of `logout.postLogoutRedirectUris` (an
   * allow-list: never an open redirect); anything else falls back to the configured one. When not
   * given, the request's `post_logout_redirect_uri` query parameter is considered the same way.
   */
  postLogoutRedirectUri?: string
  /** `state` sent to the end-session endpoint and echoed back to the post-logout URI. Default: random. */
  state?: string
  /** Keeps a refresh (of an expired id_token hint) alive past the request (see `RequestOptions`). */
  waitUntil?: (promise: Promise<unknown>) => void
}

/** The logout settings (resolved from `OidcSessionConfig.logout`). */
export interface LogoutSettings {
  refreshExpiredIdToken: boolean
  revokeRefreshToken: boolean
  revocationTimeoutMs: number
  postLogoutRedirectUri: URL
  postLogoutRedirectUris: readonly string[]
  /** The application's logout URL builder (`logout.endSession`), tried before the profile's. */
  endSession?: EndSessionHook | undefined
}

/** What the logout flow needs from the manager. */
export interface LogoutDeps {
  /** The configured app origin. */
  origin: string
  /** The origin a request is answered from (same-origin checks): `origin`, or a trusted forwarded one. */
  requestOrigin(request: RequestLike): string
  /** The logout route's path (the confirmation form posts to it). */
  logoutPath: string
  settings: LogoutSettings
  context: ProviderContext
  store: SessionStore
  storeContext(request: RequestLike): StoreContext
  /** Destroy the session in the store and report it ended. */
  endSession(ctx: StoreContext, session: Session, reason: 'logout'): Promise<void>
  responder: Responder
  scheduler: RefreshScheduler
  /** Where the ended session is recorded, for every instance. */
  revocationList: RevocationList
  /** Seconds of clock tolerance (a revocation outlives its session by this much). */
  clockToleranceSeconds: number
  /** Where a broken `logout.endSession` hook is reported. Default: nowhere. */
  logger?: { warn(message: string): void }
  /** Time source, milliseconds. */
  now: () => number
}

/**
 * `true` when a request to log out comes from another site, and must be refused (logout CSRF).
 *
 * Refused when Fetch Metadata `Sec-Fetch-Site` is present and is neither `same-origin` nor `none`
 * (a navigation the user typed or bookmarked) — `same-site` (a sibling subdomain) and
 * `cross-site` are refused —, when an `Origin` header names another origin than the app's, or when
 * a `Referer` names another origin. `Origin: null` (privacy redirects, sandboxed frames) is treated
 * as absent.
 *
 * @param request the logout request
 * @param appOrigin the application's origin (`https://app.example.com`)
 * @returns whether the request must be refused
 * @example
 * ```ts
 * isCrossSite({ url: '/logout', headers: { 'sec-fetch-site': 'cross-site' } }, 'https://app.example') // true
 * ```
 * @see https://www.w3.org/TR/fetch-metadata/#sec-fetch-site-header
 */
export function isCrossSite(request: RequestLike, appOrigin: string): boolean {
  const site = getHeader(request, 'sec-fetch-site')?.toLowerCase()
  const origin = getHeader(request, 'origin')
  const referer = originOf(getHeader(request, 'referer'))
  return (
    (site !== undefined && site !== 'same-origin' && site !== 'none') ||
    (origin !== undefined && origin !== 'null' && origin !== appOrigin) ||
    (referer !== undefined && referer !== appOrigin)
  )
}

/**
 * `true` when the request proves it comes from the app itself or from the user's own hands: Fetch
 * Metadata `same-origin` or `none`, or a same-origin `Origin` or `Referer`. Browsers send no Fetch
 * Metadata to plain-HTTP origins that are not loopback, so a cross-site link there carries none of
 * these: a GET without any must not end the session.
 */
function provenSameOrigin(request: RequestLike, appOrigin: string): boolean {
  const site = getHeader(request, 'sec-fetch-site')?.toLowerCase()
  return (
    site === 'same-origin' ||
    site === 'none' ||
    getHeader(request, 'origin') === appOrigin ||
    originOf(getHeader(request, 'referer')) === appOrigin
  )
}

function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

/**
 * `true` for a speculative load (`Sec-Purpose: prefetch`, `prefetch;prerender`, the legacy
 * `Purpose: prefetch`, Firefox's `X-Moz: prefetch`): the user did not ask for it.
 */
function isSpeculative(request: RequestLike): boolean {
  const purpose = [getHeader(request, 'sec-purpose'), getHeader(request, 'purpose')]
    .join(' ')
    .toLowerCase()
  return (
    /prefetch|prerender/.test(purpose) || getHeader(request, 'x-moz')?.toLowerCase() === 'prefetch'
  )
}

interface Candidate {
  tokens: TokenSet
  iat: number
  exp: number | undefined
  /** Every claim of the id_token (decoded, verified when it was received). */
  claims: Record<string, unknown>
}

function claimsOf(
  idToken: string | undefined,
): { iat: number; exp: number | undefined; claims: Record<string, unknown> } | null {
  if (!idToken) return null
  try {
    const claims = decodeJwt(idToken)
    const { iat, exp } = claims
    return {
      iat: typeof iat === 'number' ? iat : 0,
      exp: typeof exp === 'number' ? exp : undefined,
      claims,
    }
  } catch {
    return null
  }
}

/** Most refreshes of one grant followed through the recent-result cache. */
const MAX_CHAIN = 8

/**
 * Create the `logout(request, options)` handler.
 *
 * 1. Never for a speculative load (prefetch, prerender): 403, nothing ended.
 * 2. Refuse cross-site requests ({@link isCrossSite}): 403. A `GET` that proves nothing about its
 *    origin (no Fetch Metadata, no same-origin `Origin` or `Referer`: a plain-HTTP deployment
 *    reached from a link) gets a confirmation page whose button `POST`s the logout.
 * 3. Load the session (a store that cannot be reached: `StoreUnavailableError`, the cookie is
 *    kept, a retry works once it is back), wait for any refresh of its grant in flight in this
 *    process, and load it again (another request or process may have refreshed and saved it).
 * 4. Follow the recent-result cache from the session's refresh token (refreshes a stale cookie has
 *    not seen yet, in any process sharing the cache) and pick, among every token set known, the
 *    id_token with the latest `iat`, and the latest refresh token.
 * 5. When that id_token has expired and a refresh token exists that has not expired itself
 *    (`logout.refreshExpiredIdToken`, default on), refresh first so the hint is valid; if that
 *    fails, the expired id_token is left out (`client_id` + `logout_hint` instead), since strict
 *    providers refuse expired hints.
 * 6. Record the session as ended in the revocation list (by session id, for as long as the sealed
 *    session could live: every copy of the cookie, in every instance sharing the list, is refused
 *    from now on, and a refresh that completes later cannot bring it back), drop the grant's
 *    recent results, destroy it in the store (stateful stores leave a tombstone) and expire every
 *    cookie and chunk. Revoke the latest refresh token (RFC 7009, `logout.revokeRefreshToken`),
 *    best effort within `logout.revocationTimeoutMs`.
 * 7. `302` to the provider's logout URL: the `logout.endSession` hook's, else the provider
 *    profile's (an `EndSessionInput` with the hint, its claims, whether it has expired,
 *    `sub`, the post-logout URI and `state`) — for `generic`, the `end_session_endpoint` with
 *    `id_token_hint` (or `logout_hint`), `client_id`, `post_logout_redirect_uri` and `state`.
 *    Without one (no end-session endpoint, Google, Okta without a valid hint, a hook answering
 *    `false`), `302` straight to the post-logout URI.
 *
 * @param deps see {@link LogoutDeps}
 * @returns the handler behind `OidcSession.logout`
 * @throws (the handler) `StoreUnavailableError` when the session cannot be read, recorded or destroyed
 * @example
 * ```ts
 * const logout = createLogout(deps)
 * const response = await logout(request, { state: 'xyz' })
 * ```
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export function createLogout(
  deps: LogoutDeps,
): (request: RequestLike, options?: LogoutOptions) => Promise<Response> {
  const { settings, context, store, responder, scheduler, revocationList, origin } = deps
  const allowed = new Set([settings.postLogoutRedirectUri.href, ...settings.postLogoutRedirectUris])
  const nowSeconds = () => Math.floor(deps.now() / 1000)

  const load = async (ctx: StoreContext): Promise<Session | null> => {
    try {
      return (await store.load(ctx)).session
    } catch (error) {
      throw error instanceof OidcSessionError
        ? error
        : new StoreUnavailableError('the session store failed', { cause: error })
    }
  }

  /** The token sets a stale cookie has not seen yet, newest last. */
  async function laterTokenSets(tokens: TokenSet): Promise<TokenSet[]> {
    const found: TokenSet[] = []
    const seen = new Set<string>()
    let current = tokens.refreshToken
    while (current !== undefined && !seen.has(current) && found.length < MAX_CHAIN) {
      seen.add(current)
      const next = await scheduler.recent(current)
      if (!next) break
      found.push(next)
      current = next.refreshToken
    }
    return found
  }

  function freshest(sets: TokenSet[]): Candidate | undefined {
    let best: Candidate | undefined
    for (const tokens of sets) {
      const claims = claimsOf(tokens.idToken)
      if (claims && (!best || claims.iat >= best.iat)) best = { tokens, ...claims }
    }
    return best
  }

  function targetUri(request: RequestLike, options: LogoutOptions): string {
    const fallback = onRequestOrigin(
      settings.postLogoutRedirectUri,
      origin,
      deps.requestOrigin(request),
    ).href
    const asked =
      options.postLogoutRedirectUri ??
      getUrl(request, origin).searchParams.get('post_logout_redirect_uri') ??
      undefined
    if (asked === undefined) return fallback
    try {
      const href = new URL(asked).href
      return allowed.has(href) || href === fallback ? href : fallback
    } catch {
      return fallback
    }
  }

  /** A page whose button POSTs the logout (carrying the allowed query parameters along). */
  function confirmation(request: RequestLike): Response {
    if (responder.isAjax(request))
      return json(403, {
        error: 'logout_confirmation_required',
        error_description: 'This request does not show it comes from this site: POST the logout.',
      })
    const query = new URLSearchParams()
    const asked = getUrl(request, origin).searchParams.get('post_logout_redirect_uri')
    if (asked !== null) query.set('post_logout_redirect_uri', asked)
    const action = `${deps.logoutPath}${query.size > 0 ? `?${query}` : ''}`
    return html(
      200,
      'Log out?',
      'Do you want to log out?',
      new Headers(),
      `<form method="post" action="${escapeHtml(action)}"><button type="submit">Log out</button></form>`,
    )
  }

  return async function logout(request, options = {}) {
    if (isSpeculative(request)) {
      return responder.forbidden(
        request,
        'speculative_logout',
        'Logout is never performed for a prefetch or prerender.',
      )
    }
    const appOrigin = deps.requestOrigin(request)
    if (isCrossSite(request, appOrigin)) {
      return responder.forbidden(
        request,
        'cross_site_logout',
        'Logout must be requested from this site.',
      )
    }
    if (/^(GET|HEAD)$/.test(getMethod(request)) && !provenSameOrigin(request, appOrigin))
      return confirmation(request)

    const ctx = deps.storeContext(request)
    let session = await load(ctx)
    const firstRefreshToken = session?.tokens.refreshToken
    if (firstRefreshToken !== undefined) {
      await scheduler.settled(firstRefreshToken)
      session = (await load(ctx)) ?? session
    }

    let idTokenHint: string | undefined
    let idTokenExpired = false
    let idTokenClaims: Record<string, unknown> | undefined
    let refreshToken: string | undefined
    const grant: string[] = []
    if (session) {
      const sets = [session.tokens, ...(await laterTokenSets(session.tokens))]
      for (const set of sets) if (set.refreshToken !== undefined) grant.push(set.refreshToken)
      const latest = sets[sets.length - 1] as TokenSet
      refreshToken = latest.refreshToken
      let best = freshest(sets)
      const expired = (candidate: Candidate | undefined) =>
        candidate?.exp !== undefined && candidate.exp <= nowSeconds()
      let leaveOut = false
      // Never a refresh the provider said it would refuse (a refresh token past its expiry).
      const refreshable =
        refreshToken !== undefined &&
        !refreshTokenExpired(latest, nowSeconds(), {
          clockToleranceSeconds: deps.clockToleranceSeconds,
        })
      if (expired(best) && refreshable && settings.refreshExpiredIdToken) {
        try {
          const { tokens } = await scheduler.refresh(latest, undefined, {
            waitUntil: options.waitUntil,
          })
          refreshToken = tokens.refreshToken ?? refreshToken
          if (tokens.refreshToken !== undefined) grant.push(tokens.refreshToken)
          best = freshest([...sets, tokens])
        } catch {
          // Refresh impossible (grant gone, provider down): the expired hint is left out below.
        }
        leaveOut = expired(best)
      }
      // The claims stay known (Entra's `login_hint`) even when the token is no longer a hint.
      idTokenClaims = best?.claims
      idTokenExpired = expired(best)
      if (!leaveOut) idTokenHint = best?.tokens.idToken

      // Ended for every instance first: if this fails, nothing has changed and a retry works.
      const now = nowSeconds()
      try {
        await revocationList.add(
          { kind: 'session', value: session.id, notBefore: now },
          Math.max(1, session.expiresAt - now + deps.clockToleranceSeconds),
        )
      } catch (error) {
        throw error instanceof OidcSessionError
          ? error
          : new StoreUnavailableError('recording the logout failed', { cause: error })
      }
      await Promise.all(grant.map((token) => scheduler.forget(token)))
    }
    // Best effort, in parallel with the rest: a failure never stops the logout.
    const revocation =
      session && refreshToken !== undefined && settings.revokeRefreshToken
        ? revokeToken(context, refreshToken, 'refresh_token', settings.revocationTimeoutMs).catch(
            () => false,
          )
        : undefined

    const postLogoutRedirectUri = targetUri(request, options)
    let target = postLogoutRedirectUri
    try {
      const url = await endSessionUrl(
        context,
        {
          idTokenHint,
          idTokenExpired,
          idTokenClaims,
          sub: session?.sub,
          postLogoutRedirectUri,
          state: options.state ?? randomId(16),
        },
        settings.endSession,
        (message) => deps.logger?.warn(message),
      )
      if (url) target = url.href
    } catch {
      // Provider unreachable: the local logout still happens.
    }
    try {
      if (session) await deps.endSession(ctx, session, 'logout')
      else await store.destroy(ctx, null)
    } catch (error) {
      // The session is already refused everywhere (revocation list); say so and keep the cookies,
      // so that a retry can finish the job in the store and at the provider.
      await revocation
      throw error instanceof OidcSessionError
        ? error
        : new StoreUnavailableError('ending the session failed', { cause: error })
    }
    await revocation
    return redirect(target, ctx.jar.applyTo(new Headers()))
  }
}
