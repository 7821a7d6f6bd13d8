/**
 * Logout: end the session locally and at the provider.
 *
 * @module
 */
import type { ResolvedConfig } from '../config.js'
import { buildEndSessionUrl, revokeToken } from '../oidc/end-session.js'
import type { ProviderContext } from '../oidc/provider.js'
import { getHeader, type RequestLike } from '../request/headers.js'
import type { Responder } from '../session/responses.js'
import { redirect } from '../session/responses.js'
import type { Session } from '../session/session.js'
import type { SessionStore, StoreContext } from '../stores/types.js'

/** What the logout flow needs from the manager. */
export interface LogoutDeps {
  config: ResolvedConfig
  context: ProviderContext
  store: SessionStore
  storeContext(request: RequestLike): StoreContext
  endSession(ctx: StoreContext, session: Session, reason: 'logout'): Promise<void>
  responder: Responder
}

/**
 * `true` when a request to log out comes from another site: Fetch Metadata `Sec-Fetch-Site` other
 * than `same-origin`/`none`, or an `Origin` naming another origin. Such requests are refused, so a
 * cross-site page cannot log the user out (logout CSRF).
 */
export function isCrossSite(request: RequestLike, appOrigin: string): boolean {
  const site = getHeader(request, 'sec-fetch-site')?.toLowerCase()
  const origin = getHeader(request, 'origin')
  return (
    (site !== undefined && site !== 'same-origin' && site !== 'none') ||
    (origin !== undefined && origin !== 'null' && origin !== appOrigin)
  )
}

/** Create the `logout(request)` handler. */
export function createLogout(deps: LogoutDeps): (request: RequestLike) => Promise<Response> {
  const { config, context, store, responder } = deps
  return async function logout(request) {
    if (isCrossSite(request, config.appOrigin)) {
      return responder.forbidden(
        request,
        'cross_site_logout',
        'Logout must be requested from this site.',
      )
    }
    const ctx = deps.storeContext(request)
    let session: Session | null = null
    try {
      session = (await store.load(ctx)).session
    } catch {
      session = null
    }
    const idTokenHint = session?.tokens.idToken
    let target: string = config.postLogoutRedirectUri.href
    try {
      const endSessionUrl = await buildEndSessionUrl(context, {
        ...(idTokenHint ? { idTokenHint } : {}),
        ...(session && !idTokenHint ? { logoutHint: session.sub } : {}),
        postLogoutRedirectUri: config.postLogoutRedirectUri.href,
      })
      if (endSessionUrl) target = endSessionUrl.href
    } catch {
      // Provider unreachable: the local logout still happens.
    }
    if (session) {
      const refreshToken = session.tokens.refreshToken
      await deps.endSession(ctx, session, 'logout')
      if (refreshToken) {
        await revokeToken(
          context,
          refreshToken,
          'refresh_token',
          Math.min(config.timeoutMs, 2000),
        ).catch(() => false)
      }
    } else {
      await store.destroy(ctx, null)
    }
    return redirect(target, ctx.jar.applyTo(new Headers()))
  }
}
