/**
 * TEMPORARY SHIM — delete this file once `auth.handler()` and `auth.routes` land on `main`
 * (the "front door" of the core API). It maps the auth routes onto today's methods
 * (`login`/`callback`/`logout`/`backchannelLogout`), the way `auth.handler(request)` will: a
 * `Response` for an auth route, `undefined` for any other path, every `Location` absolute.
 *
 * The test app ({@link ./app.ts}) calls `handler` through this file only, so switching to the
 * real front door is a one-line change there.
 */
import type { OidcSession } from 'oidc-session'

/** The auth routes the front door will serve (`auth.routes`). */
export const routes = {
  login: '/login',
  callback: '/callback',
  logout: '/logout',
  backchannelLogout: '/backchannel-logout',
} as const

/**
 * What `auth.handler(request)` will do: serve `GET login`, `GET callback`, `GET|POST logout` and
 * `POST backchannel-logout`; `undefined` for any other path or method. Errors become
 * `auth.errorResponse()`.
 *
 * @param auth the session manager
 * @param request a Web request
 * @returns the response, or `undefined` when the request is not for an auth route
 */
export async function handler(auth: OidcSession, request: Request): Promise<Response | undefined> {
  const { pathname } = new URL(request.url)
  const method = request.method.toUpperCase()
  try {
    if (pathname === routes.login && method === 'GET') return await auth.login(request)
    if (pathname === routes.callback && method === 'GET') return await auth.callback(request)
    if (pathname === routes.logout && (method === 'GET' || method === 'POST'))
      return await auth.logout(request)
    if (pathname === routes.backchannelLogout && method === 'POST')
      return await auth.backchannelLogout(request)
  } catch (error) {
    return auth.errorResponse(request, error)
  }
  return undefined
}
