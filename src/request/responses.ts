/**
 * The responses the library answers with: redirects, 401/503 JSON for API calls, small HTML pages
 * for navigations — chosen by `classifyRequest`. Bodies never contain a token.
 *
 * @module
 */
import {
  AccessDeniedError,
  CallbackError,
  CookieTooLargeError,
  DiscoveryIssuerMismatchError,
  InsufficientAuthenticationError,
  OidcSessionError,
  SessionRequiredError,
  SilentLoginError,
  type SessionFailure,
} from '../errors.js'
import { getHeader, getMethod, getUrl, type RequestLike } from './headers.js'
import { classifyRequest, type ClassifyOptions } from './is-ajax.js'
import { safeReturnTo } from './url.js'

/** `302` to `location` (an absolute URL), never cached. */
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

/** `text` with `& < > " '` escaped for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * A minimal HTML page, never cached; `title` and `text` are escaped, `extra` is trusted markup
 * (a form built by the library).
 */
export function html(
  status: number,
  title: string,
  text: string,
  headers = new Headers(),
  extra = '',
): Response {
  headers.set('content-type', 'text/html; charset=utf-8')
  headers.set('cache-control', 'no-store')
  return new Response(
    `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>${extra}`,
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

/** Options of {@link createResponder}. */
export interface ResponderOptions {
  /** The origin a request is answered from (the app origin, or a trusted forwarded one): every `Location` is built on it. */
  requestOrigin(request: RequestLike): string
  /** The login route's path. */
  loginPath: string
  /** Paths a login must never return to (login, callback, logout: no loops). */
  noReturn: readonly string[]
  classify: ClassifyOptions
  /**
   * Whether a login after a session ended without a usable refresh token (`unrefreshable`,
   * `refresh-expired`) should ask for one again (the provider profile's `reconsent`). Default: no.
   */
  reconsent?: () => boolean
}

/** Builds failure answers for one configuration. */
export interface Responder {
  /** `true` when `request` is an API call (401 JSON), `false` for a navigation (redirect). */
  isAjax(request: RequestLike): boolean
  /**
   * `<login path>?returnTo=<where to land after login>`: the request's own path and query for a
   * GET/HEAD navigation; for an API call (whose URL is not a page) and a non-GET navigation (a
   * form POST: its URL may not answer a GET), the same-origin page in `Referer`, else the API
   * call's own path (GET) or `/`. Never the login, callback or logout path (no loop). With
   * `reconsent`, `&reconsent=1` follows (see `LoginOptions.reconsent`).
   */
  loginUrl(request: RequestLike, options?: { reconsent?: boolean }): string
  /** `url` (a path) made absolute on the request's origin. */
  absolute(url: string, request: RequestLike): string
  /**
   * No usable session: 401 JSON / 302 login, or 503 for transient reasons, or 500 when `error` is
   * a configuration error (`ERR_DISCOVERY_ISSUER_MISMATCH`). A session that ended without a usable
   * refresh token (`unrefreshable`, `refresh-expired`) is sent to a login that asks for a refresh
   * token again (`reconsent=1`) where the provider needs it (`ResponderOptions.reconsent`). Never
   * sets a cookie.
   */
  failureResponse(
    request: RequestLike,
    reason: SessionFailure | 'refresh-required',
    headers?: Headers,
    error?: OidcSessionError,
  ): Response
  /** Any error thrown by the manager, as a response (with the `Set-Cookie` lines it carries). */
  errorResponse(request: RequestLike, error: unknown): Response
  /** 403 for a refused (cross-site) request. */
  forbidden(request: RequestLike, error: string, description: string): Response
  /**
   * Step-up (RFC 9470): the session's authentication is not strong or recent enough. API calls get
   * `401` with `WWW-Authenticate: Bearer error="insufficient_user_authentication"` and the
   * `acr_values` / `max_age` to satisfy; navigations a `302` to login asking for them.
   */
  stepUp(
    request: RequestLike,
    ask: { acrValues?: readonly string[] | undefined; maxAge?: number | undefined },
    headers?: Headers,
  ): Response
}

/** An RFC 9470 `WWW-Authenticate` parameter value: a quoted string. */
const quoted = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`

/**
 * Create the {@link Responder} for one configuration.
 *
 * @param options see {@link ResponderOptions}
 * @returns the responder
 * @example
 * ```ts
 * const responder = createResponder({ requestOrigin: () => origin, loginPath: '/login', noReturn: ['/login', '/callback'], classify: {} })
 * return responder.failureResponse(request, 'none') // 401 JSON or 302 to https://app.example/login?returnTo=…
 * ```
 */
export function createResponder(options: ResponderOptions): Responder {
  const { requestOrigin, classify } = options
  const ajaxOf = (request: RequestLike) => classifyRequest(request, classify).ajax
  const noReturn = new Set(options.noReturn)
  const absolute = (url: string, request: RequestLike) => new URL(url, requestOrigin(request)).href

  /** `value` as a same-origin path that is not an auth route, else `undefined`. */
  const landing = (value: string | undefined, origin: string): string | undefined => {
    const path = safeReturnTo(value, origin, '')
    return path && !noReturn.has(new URL(path, origin).pathname) ? path : undefined
  }

  const loginUrl = (request: RequestLike, login: { reconsent?: boolean } = {}) => {
    const origin = requestOrigin(request)
    const url = getUrl(request, origin)
    const own = landing(url.pathname + url.search, origin)
    const get = /^(GET|HEAD)$/.test(getMethod(request))
    const returnTo =
      (get && !ajaxOf(request)
        ? own
        : (landing(getHeader(request, 'referer'), origin) ?? (get ? own : undefined))) ?? '/'
    return `${options.loginPath}?returnTo=${encodeURIComponent(returnTo)}${login.reconsent ? '&reconsent=1' : ''}`
  }

  /** 500 for a configuration error the operator must fix; the message names no secret. */
  const misconfigured = (request: RequestLike, error: OidcSessionError, headers: Headers) =>
    ajaxOf(request)
      ? json(
          500,
          { error: 'server_error', code: error.code, error_description: error.message },
          headers,
        )
      : html(500, 'Sign-in is misconfigured', error.message, headers)

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
    isAjax: ajaxOf,
    loginUrl,
    absolute,

    failureResponse(request, reason, collected = new Headers(), error) {
      const headers = deletionsOnly(collected)
      if (error instanceof DiscoveryIssuerMismatchError)
        return misconfigured(request, error, headers)
      if (reason === 'provider-unavailable' || reason === 'store-unavailable') {
        return unavailable(request, `session check failed: ${reason}`, headers)
      }
      const login = loginUrl(request, {
        reconsent:
          (reason === 'unrefreshable' || reason === 'refresh-expired') &&
          options.reconsent?.() === true,
      })
      if (ajaxOf(request)) {
        headers.set('www-authenticate', 'Bearer realm="oidc-session"')
        return json(
          401,
          {
            error: 'unauthorized',
            error_description: `no valid session (${reason})`,
            login_url: login,
          },
          headers,
        )
      }
      return redirect(absolute(login, request), headers)
    },

    stepUp(request, ask, collected = new Headers()) {
      const headers = deletionsOnly(collected)
      const acr = ask.acrValues && ask.acrValues.length > 0 ? ask.acrValues.join(' ') : undefined
      if (ajaxOf(request)) {
        const challenge = [
          'Bearer error="insufficient_user_authentication"',
          'error_description="A different authentication level is required"',
          ...(acr !== undefined ? [`acr_values=${quoted(acr)}`] : []),
          ...(ask.maxAge !== undefined ? [`max_age=${ask.maxAge}`] : []),
        ]
        headers.set('www-authenticate', challenge.join(', '))
        const login = new URL(loginUrl(request), 'http://x')
        if (acr !== undefined) login.searchParams.set('acr_values', acr)
        if (ask.maxAge !== undefined) login.searchParams.set('max_age', String(ask.maxAge))
        return json(
          401,
          {
            error: 'insufficient_user_authentication',
            error_description: 'a different authentication level is required',
            ...(acr !== undefined ? { acr_values: acr } : {}),
            ...(ask.maxAge !== undefined ? { max_age: ask.maxAge } : {}),
            login_url: login.pathname + login.search,
          },
          headers,
        )
      }
      const login = new URL(absolute(loginUrl(request), request))
      if (acr !== undefined) login.searchParams.set('acr_values', acr)
      if (ask.maxAge !== undefined) login.searchParams.set('max_age', String(ask.maxAge))
      return redirect(login.href, headers)
    },

    errorResponse(request, error) {
      const ajax = ajaxOf(request)
      if (error instanceof SilentLoginError) {
        // Not a failure: back where the login would have landed, with the "do not retry" cookie.
        const out = new Headers()
        for (const line of error.headers.getSetCookie()) out.append('set-cookie', line)
        return redirect(absolute(error.returnTo, request), out)
      }
      // Cookie deletions the error asks for (a used transaction cookie), nothing else.
      const headers = new Headers()
      if (error instanceof OidcSessionError)
        for (const line of deletionsOnly(error.headers).getSetCookie())
          headers.append('set-cookie', line)
      if (error instanceof CallbackError) {
        const body = {
          error: 'login_failed',
          error_description: error.message,
          code: error.code,
          login_url: options.loginPath,
        }
        return ajax
          ? json(400, body, headers)
          : html(
              400,
              'Login failed',
              `${error.message}. Please sign in again.`,
              headers,
              `<p><a href="${escapeHtml(options.loginPath)}">Sign in</a></p>`,
            )
      }
      if (error instanceof AccessDeniedError || error instanceof InsufficientAuthenticationError) {
        const body = { error: 'access_denied', error_description: error.message, code: error.code }
        return ajax
          ? json(403, body, headers)
          : html(403, 'Access denied', `${error.message}.`, headers)
      }
      if (error instanceof SessionRequiredError)
        return responder.failureResponse(
          request,
          error.reason,
          headers,
          error.cause instanceof OidcSessionError ? error.cause : undefined,
        )
      if (error instanceof DiscoveryIssuerMismatchError)
        return misconfigured(request, error, headers)
      if (error instanceof OidcSessionError && error.transient)
        return unavailable(request, error.message, headers, error.code)
      if (error instanceof CookieTooLargeError) {
        // A configuration problem the operator must see; the message holds no secret.
        return ajax
          ? misconfigured(request, error, headers)
          : html(500, 'The session is too large', error.message, headers)
      }
      const code = error instanceof OidcSessionError ? error.code : 'ERR_INTERNAL'
      return ajax
        ? json(500, { error: 'server_error', code }, headers)
        : html(500, 'Something went wrong', 'Please try again.', headers)
    },

    forbidden(request, error, description) {
      return ajaxOf(request)
        ? json(403, { error, error_description: description })
        : html(403, 'Request refused', description)
    },
  }
  return responder
}
