/**
 * Logout: end the session locally and at the provider, with the freshest id_token as the hint.
 *
 * @module
 */
import { decodeJwt } from 'jose'
import type { ResolvedConfig } from '../config.js'
import { randomId } from '../lib/random.js'
import { buildEndSessionUrl, revokeToken } from '../oidc/end-session.js'
import type { ProviderContext } from '../oidc/provider.js'
import type { ResultCache } from '../refresh/result-cache.js'
import { refreshKey } from '../refresh/scheduler.js'
import { getHeader, getUrl, type RequestLike } from '../request/headers.js'
import type { Responder } from '../session/responses.js'
import { redirect } from '../session/responses.js'
import type { Session } from '../session/session.js'
import type { SessionStore, StoreContext } from '../stores/types.js'
import type { TokenSet } from '../tokens/token-set.js'
import type { TrackedScheduler } from './in-flight.js'

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
}

/** What the logout flow needs from the manager. */
export interface LogoutDeps {
  config: ResolvedConfig
  context: ProviderContext
  store: SessionStore
  storeContext(request: RequestLike): StoreContext
  endSession(ctx: StoreContext, session: Session, reason: 'logout'): Promise<void>
  responder: Responder
  /** The manager's scheduler, tracked so that logout can wait for a refresh in flight. */
  scheduler: TrackedScheduler
  /** The recent-result cache the scheduler writes (the same object). */
  resultCache: ResultCache
}

/**
 * `true` when a request to log out comes from another site, and must be refused (logout CSRF).
 *
 * The choice: logout answers GET and POST alike (a plain link works), and is protected by the
 * request's provenance instead of a token. It is refused when Fetch Metadata `Sec-Fetch-Site` is
 * present and is neither `same-origin` nor `none` (a navigation the user typed or bookmarked) —
 * `same-site` (a sibling subdomain) and `cross-site` are refused — or when an `Origin` header names
 * another origin than the app's (browsers send `Origin` on every cross-origin POST, and on
 * same-origin POSTs too). Browsers without Fetch Metadata still send `Origin` on POST, so use POST
 * (the example's logout button is a form) for them; a cross-site GET from such an old browser
 * carries neither header and cannot be told apart from a typed URL. `Origin: null` (privacy
 * redirects, sandboxed frames) is treated as absent.
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
  return (
    (site !== undefined && site !== 'same-origin' && site !== 'none') ||
    (origin !== undefined && origin !== 'null' && origin !== appOrigin)
  )
}

interface Candidate {
  tokens: TokenSet
  iat: number
  exp: number | undefined
}

function claimsOf(idToken: string | undefined): { iat: number; exp: number | undefined } | null {
  if (!idToken) return null
  try {
    const { iat, exp } = decodeJwt(idToken)
    return {
      iat: typeof iat === 'number' ? iat : 0,
      exp: typeof exp === 'number' ? exp : undefined,
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
 * 1. Refuse cross-site requests ({@link isCrossSite}): 403.
 * 2. Load the session, wait for any refresh of its grant in flight in this process, and load it
 *    again (another request or process may have refreshed and saved it).
 * 3. Follow the recent-result cache from the session's refresh token (refreshes a stale cookie has
 *    not seen yet, in any process sharing the cache) and pick, among every token set known, the
 *    id_token with the latest `iat`, and the latest refresh token.
 * 4. When that id_token has expired and a refresh token exists (`logout.refreshExpiredIdToken`,
 *    default on), refresh first so the hint is valid; if that fails, the expired id_token is left
 *    out (`client_id` + `logout_hint` instead), since strict providers refuse expired hints.
 * 5. Destroy the session (stateful stores leave a tombstone) and expire every cookie and chunk;
 *    revoke the latest refresh token (RFC 7009, `logout.revokeRefreshToken`, default on), best
 *    effort within `logout.revocationTimeoutMs`: a failure never stops the logout.
 * 6. `302` to the `end_session_endpoint` with `id_token_hint` (or `logout_hint`), `client_id`,
 *    `post_logout_redirect_uri` and `state`; without an end-session endpoint, `302` straight to
 *    the post-logout URI.
 *
 * @param deps see {@link LogoutDeps}
 * @returns the handler behind `OidcSession.logout`
 * @example
 * ```ts
 * const logout = createLogout({ config, context, store, storeContext, endSession, responder, scheduler, resultCache })
 * const response = await logout(request, { state: 'xyz' })
 * ```
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export function createLogout(
  deps: LogoutDeps,
): (request: RequestLike, options?: LogoutOptions) => Promise<Response> {
  const { config, context, store, responder, scheduler, resultCache } = deps
  const allowed = new Set([
    config.postLogoutRedirectUri.href,
    ...config.logout.postLogoutRedirectUris,
  ])
  const nowSeconds = () => Math.floor(config.now() / 1000)

  const load = async (ctx: StoreContext): Promise<Session | null> => {
    try {
      return (await store.load(ctx)).session
    } catch {
      return null
    }
  }

  /** The token sets a stale cookie has not seen yet, newest last. */
  async function laterTokenSets(tokens: TokenSet): Promise<TokenSet[]> {
    const found: TokenSet[] = []
    const seen = new Set<string>()
    let current = tokens.refreshToken
    while (current !== undefined && !seen.has(current) && found.length < MAX_CHAIN) {
      seen.add(current)
      const next = await resultCache.get(await refreshKey(current)).catch(() => undefined)
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
    const asked =
      options.postLogoutRedirectUri ??
      getUrl(request, config.appOrigin).searchParams.get('post_logout_redirect_uri') ??
      undefined
    if (asked === undefined) return config.postLogoutRedirectUri.href
    let href: string
    try {
      href = new URL(asked).href
    } catch {
      return config.postLogoutRedirectUri.href
    }
    return allowed.has(href) ? href : config.postLogoutRedirectUri.href
  }

  return async function logout(request, options = {}) {
    if (isCrossSite(request, config.appOrigin)) {
      return responder.forbidden(
        request,
        'cross_site_logout',
        'Logout must be requested from this site.',
      )
    }
    const ctx = deps.storeContext(request)
    let session = await load(ctx)
    const firstRefreshToken = session?.tokens.refreshToken
    if (firstRefreshToken !== undefined) {
      await scheduler.settled(firstRefreshToken)
      session = (await load(ctx)) ?? session
    }

    let idTokenHint: string | undefined
    let refreshToken: string | undefined
    if (session) {
      const sets = [session.tokens, ...(await laterTokenSets(session.tokens))]
      const latest = sets[sets.length - 1] as TokenSet
      refreshToken = latest.refreshToken
      let best = freshest(sets)
      const expired = (candidate: Candidate | undefined) =>
        candidate?.exp !== undefined && candidate.exp <= nowSeconds()
      if (expired(best) && refreshToken !== undefined && config.logout.refreshExpiredIdToken) {
        try {
          const { tokens } = await scheduler.refresh(latest)
          refreshToken = tokens.refreshToken ?? refreshToken
          best = freshest([...sets, tokens])
        } catch {
          // Refresh impossible (grant gone, provider down): the expired hint is left out below.
        }
        if (expired(best)) best = undefined
      }
      idTokenHint = best?.tokens.idToken
    }

    const postLogoutRedirectUri = targetUri(request, options)
    const revocation =
      session && refreshToken !== undefined && config.logout.revokeRefreshToken
        ? revokeToken(
            context,
            refreshToken,
            'refresh_token',
            config.logout.revocationTimeoutMs,
          ).catch(() => false)
        : undefined

    let target = postLogoutRedirectUri
    try {
      const endSessionUrl = await buildEndSessionUrl(context, {
        ...(idTokenHint ? { idTokenHint } : {}),
        ...(session && !idTokenHint ? { logoutHint: session.sub } : {}),
        postLogoutRedirectUri,
        state: options.state ?? randomId(16),
      })
      if (endSessionUrl) target = endSessionUrl.href
    } catch {
      // Provider unreachable: the local logout still happens.
    }
    try {
      if (session) await deps.endSession(ctx, session, 'logout')
      else await store.destroy(ctx, null)
    } catch {
      // Store down: the browser's session cookies go anyway (chunks included).
      const prefix = `${ctx.cookie.name}.`
      for (const name of ctx.jar.names()) {
        if (name === ctx.cookie.name || name.startsWith(prefix))
          ctx.jar.expire(name, ctx.cookie.attributes)
      }
    }
    await revocation
    return redirect(target, ctx.jar.applyTo(new Headers()))
  }
}
