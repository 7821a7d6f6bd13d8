/**
 * The responses the library answers with: redirects, 401/503 JSON for API calls, small HTML pages
 * for navigations — chosen by `classifyRequest`. Bodies never contain a token.
 *
 * @module
 */
import type { ResolvedConfig } from '../config.js'
import { CallbackError, OidcSessionError, SessionRequiredError } from '../errors.js'
import { getHeader, getMethod, getUrl, type RequestLike } from '../request/headers.js'
import { classifyRequest, type ClassifyOptions } from '../request/is-ajax.js'
import { safeReturnTo } from '../request/url.js'
import type { AuthFailure } from './manager.js'

/** `302` to `location`, never cached. */
export function redirect(location: string, headers = new Headers()): Response {
  headers.set('location', location)
  headers.set('cache-control', 'no-store')
  return new Response(null, { status: 302, headers })
}

/** A JSON answer, never cached. */
export function json(status: number, body: unknown, headers = new Headers()): Response {
  headers.set('content-type', 'application/json; charset=utf-8')
  headers.set('cache-control', 'no-store')
  return new Response(JSON.stringify(body), { status, headers })
}

/** A minimal HTML page, never cached; `title` and `text` are escaped. */
export function html(
  status: number,
  title: string,
  text: string,
  headers = new Headers(),
): Response {
  headers.set('content-type', 'text/html; charset=utf-8')
  headers.set('cache-control', 'no-store')
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  return new Response(
    `<!doctype html><meta charset="utf-8"><title>${escape(title)}</title><h1>${escape(title)}</h1><p>${escape(text)}</p>`,
    { status, headers },
  )
}

/**
 * Keep only what a failure answer may carry: every header but `Set-Cookie`, and of the
 * `Set-Cookie` lines only those that delete a cookie (`Max-Age=0`). A 401/302/503 never *sets* a
 * cookie, so a burst of failing requests cannot pile cookies up into a `431`.
 *
 * @param headers headers collected while authenticating
 * @returns a new `Headers`
 */
export function deletionsOnly(headers: Headers): Headers {
  const out = new Headers()
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') out.set(name, value)
  })
  for (const line of headers.getSetCookie())
    if (/;\s*max-age=0\s*(;|$)/i.test(line)) out.append('set-cookie', line)
  return out
}

/** Builds failure answers for one configuration. */
export interface Responder {
  /**
   * `<loginPath>?returnTo=<where to land after login>`: the request's own path and query for a
   * GET/HEAD navigation; for an API call (whose URL is not a page) and a non-GET navigation (a
   * form POST: its URL may not answer a GET), the same-origin page in `Referer`, else the API
   * call's own path (GET) or `/`. Never the login or callback path (no login loop).
   */
  loginUrl(request: RequestLike): string
  /** No usable session: 401 JSON / 302 login, or 503 for transient reasons. Never sets a cookie. */
  failureResponse(request: RequestLike, reason: AuthFailure, headers?: Headers): Response
  /** Any error thrown by the manager, as a response. */
  errorResponse(request: RequestLike, error: unknown): Response
  /** 403 for a refused (cross-site) request. */
  forbidden(request: RequestLike, error: string, description: string): Response
}

/** Create the {@link Responder} for `config`. */
export function createResponder(config: ResolvedConfig, classify: ClassifyOptions): Responder {
  const ajaxOf = (request: RequestLike) => classifyRequest(request, classify).ajax
  const noReturn = new Set([config.loginPath, config.redirectUri.pathname])

  /** `value` as a same-origin path that is not the login or callback route, else `undefined`. */
  const landing = (value: string | undefined): string | undefined => {
    const path = safeReturnTo(value, config.appOrigin, '')
    return path && !noReturn.has(new URL(path, config.appOrigin).pathname) ? path : undefined
  }

  const loginUrl = (request: RequestLike) => {
    const url = getUrl(request, config.appOrigin)
    const own = landing(url.pathname + url.search)
    const get = /^(GET|HEAD)$/.test(getMethod(request))
    const returnTo =
      (get && !ajaxOf(request)
        ? own
        : (landing(getHeader(request, 'referer')) ?? (get ? own : undefined))) ?? '/'
    return `${config.loginPath}?returnTo=${encodeURIComponent(returnTo)}`
  }

  const unavailable = (
    request: RequestLike,
    description: string,
    headers: Headers,
    code?: string,
  ) => {
    headers.set('retry-after', '5')
    return ajaxOf(request)
      ? json(
          503,
          {
            error: 'temporarily_unavailable',
            error_description: description,
            ...(code ? { code } : {}),
            login_url: loginUrl(request),
          },
          headers,
        )
      : html(
          503,
          'Temporarily unavailable',
          'The sign-in service cannot be reached right now. Please try again in a moment.',
          headers,
        )
  }

  const responder: Responder = {
    loginUrl,

    failureResponse(request, reason, collected = new Headers()) {
      const headers = deletionsOnly(collected)
      if (reason === 'provider-unavailable' || reason === 'store-unavailable') {
        return unavailable(request, `session check failed: ${reason}`, headers)
      }
      if (ajaxOf(request)) {
        headers.set('www-authenticate', 'Bearer realm="oidc-session"')
        return json(
          401,
          {
            error: 'unauthorized',
            error_description: `no valid session (${reason})`,
            login_url: loginUrl(request),
          },
          headers,
        )
      }
      return redirect(loginUrl(request), headers)
    },

    errorResponse(request, error) {
      const ajax = ajaxOf(request)
      if (error instanceof CallbackError) {
        const body = {
          error: 'login_failed',
          error_description: error.message,
          code: error.code,
          login_url: config.loginPath,
        }
        return ajax
          ? json(400, body)
          : html(400, 'Login failed', `${error.message}. Please sign in again: ${config.loginPath}`)
      }
      if (error instanceof SessionRequiredError)
        return responder.failureResponse(request, error.reason as AuthFailure)
      if (error instanceof OidcSessionError && error.transient)
        return unavailable(request, error.message, new Headers(), error.code)
      const code = error instanceof OidcSessionError ? error.code : 'ERR_INTERNAL'
      return ajax
        ? json(500, { error: 'server_error', code })
        : html(500, 'Something went wrong', 'Please try again.')
    },

    forbidden(request, error, description) {
      return ajaxOf(request)
        ? json(403, { error, error_description: description })
        : html(403, 'Request refused', description)
    },
  }
  return responder
}
