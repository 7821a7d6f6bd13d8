/**
 * ┌──────────────────────────────────────────────────────────────────────────────────────────┐
 * │ SHIM — delete this file when `main` has the core's front door (`auth.routes`,              │
 * │ `auth.handler()`, `auth.authenticate(request, { refresh })` with `ok`, `auth.protect()`    │
 * │ with `ok`), then replace `frontDoor(auth)` by `auth` in `./index.ts`. Nothing else in the  │
 * │ adapter depends on how this file works.                                                    │
 * └──────────────────────────────────────────────────────────────────────────────────────────┘
 *
 * Today's core (`login`, `callback`, `logout`, `backchannelLogout`, `authenticate`, `protect`)
 * behind the front-door contract the adapter is written against. Known limits of the shim, all
 * gone with the real thing: `authenticate(request, { refresh: false })` checks the back-channel
 * revocation list only when one is configured (the default in-memory list is private to the
 * manager), and a session within `leewaySeconds + 5 s` of its access token's expiry is served as
 * loaded, without that check.
 *
 * @module
 * @internal
 */
import type { OidcSessionError } from '../../errors.js'
import { isRevoked } from '../../logout/revocation-list.js'
import { CookieJar } from '../../request/cookie-jar.js'
import { getHeader, getMethod, type RequestLike } from '../../request/headers.js'
import type { OidcSession } from '../../session/manager.js'
import type { Session } from '../../session/session.js'
import { tokenState } from '../../tokens/lifecycle.js'

/** @internal */
export interface Routes {
  login: string
  callback: string
  logout: string
  backchannelLogout: string
}

/** @internal */
export type DoorAuthResult =
  | { ok: true; session: Session; headers: Headers; reason: 'valid' | 'refreshed' }
  | { ok: false; session: null; headers: Headers; reason: string; error?: OidcSessionError }

/** @internal */
export type DoorProtectResult =
  | { ok: true; session: Session; headers: Headers; reason: 'valid' | 'refreshed' }
  | { ok: false; session: null; headers: Headers; reason: string; response: Response }

/** The front-door contract (see `/work/briefs/api-contract.md`). @internal */
export interface FrontDoor {
  readonly routes: Routes
  readonly config: OidcSession['config']
  handler(request: Request): Promise<Response | undefined>
  authenticate(request: RequestLike, options?: { refresh?: boolean }): Promise<DoorAuthResult>
  protect(request: RequestLike): Promise<DoorProtectResult>
  errorResponse(request: RequestLike, error: unknown): Response
}

/** Seconds of margin under which `refresh: false` does not hand over to `authenticate()`. */
const MARGIN = 5

/**
 * The front door over today's core methods.
 * @internal
 */
export function frontDoor(auth: OidcSession): FrontDoor {
  const { config } = auth
  const routes: Routes = {
    login: config.loginPath,
    callback: config.redirectUri.pathname,
    logout: '/logout',
    backchannelLogout: '/backchannel-logout',
  }
  /** The contract: every `Location` is absolute, on the configured app origin. */
  const absolute = (response: Response): Response => {
    const location = response.headers.get('location')
    if (location !== null && !/^[a-z][a-z0-9+.-]*:/i.test(location)) {
      response.headers.set('location', new URL(location, config.appOrigin).href)
    }
    return response
  }
  const reasonOf = (reason: string) => (reason === 'ok' ? 'valid' : reason) as 'valid'

  async function authenticate(
    request: RequestLike,
    options: { refresh?: boolean } = {},
  ): Promise<DoorAuthResult> {
    if (options.refresh === false) {
      const now = Math.floor(config.now() / 1000)
      const ctx = {
        jar: new CookieJar(getHeader(request, 'cookie')),
        cookie: {
          name: `${config.cookies.prefix}${config.cookies.name}`,
          attributes: {
            httpOnly: true,
            secure: config.cookies.secure,
            sameSite: config.cookies.sameSite,
            path: config.cookies.path,
            domain: config.cookies.domain,
          },
        },
        now,
      }
      const headers = new Headers()
      let loaded
      try {
        loaded = await auth.store.load(ctx)
      } catch (error) {
        return {
          ok: false,
          session: null,
          headers,
          reason: 'store-unavailable',
          error: error as OidcSessionError,
        }
      }
      if (!loaded.session) return { ok: false, session: null, headers, reason: loaded.reason }
      const timing = {
        leewaySeconds: config.leewaySeconds,
        clockToleranceSeconds: config.clockToleranceSeconds,
      }
      // Fresh for a while yet: today's authenticate() will not refresh, and checks revocation.
      if (tokenState(loaded.session.tokens, now + MARGIN, timing) === 'fresh') {
        const result = await auth.authenticate(request)
        return result.session
          ? { ok: true, session: result.session, headers, reason: reasonOf(result.reason) }
          : {
              ok: false,
              session: null,
              headers,
              reason: result.reason,
              ...(result.error ? { error: result.error } : {}),
            }
      }
      if (tokenState(loaded.session.tokens, now, timing) !== 'due')
        return { ok: false, session: null, headers, reason: 'refresh-required' }
      const list = config.logout.revocationList
      if (list && (await isRevoked(list, loaded.session).catch(() => true)))
        return { ok: false, session: null, headers, reason: 'revoked' }
      return { ok: true, session: loaded.session, headers, reason: 'valid' }
    }
    const result = await auth.authenticate(request)
    return result.session
      ? {
          ok: true,
          session: result.session,
          headers: result.headers,
          reason: reasonOf(result.reason),
        }
      : {
          ok: false,
          session: null,
          headers: result.headers,
          reason: result.reason,
          ...(result.error ? { error: result.error } : {}),
        }
  }

  return {
    routes,
    config,
    authenticate,

    async handler(request) {
      const path = new URL(request.url, config.appOrigin).pathname
      const method = getMethod(request)
      const get = method === 'GET' || method === 'HEAD'
      try {
        if (path === routes.login && get) return absolute(await auth.login(request))
        if (path === routes.callback && get) return absolute(await auth.callback(request))
        if (path === routes.logout && (get || method === 'POST'))
          return absolute(await auth.logout(request))
        if (path === routes.backchannelLogout && method === 'POST')
          return await auth.backchannelLogout(request)
      } catch (error) {
        return absolute(auth.errorResponse(request, error))
      }
      return undefined
    },

    async protect(request) {
      const result = await auth.protect(request)
      if (result.session) {
        return { ok: true, session: result.session, headers: result.headers, reason: 'valid' }
      }
      return {
        ok: false,
        session: null,
        headers: result.headers,
        reason: 'unauthenticated',
        response: absolute(result.response),
      }
    },

    errorResponse: (request, error) => absolute(auth.errorResponse(request, error)),
  }
}
