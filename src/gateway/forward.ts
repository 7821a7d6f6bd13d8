/**
 * `auth.forward(request, upstream)`: the gateway. Authenticate (refreshing when due), then send the
 * request on to an upstream with a fresh access token — `Bearer`, or `DPoP` with a proof bound to
 * the token (`ath`) — and stream the answer back.
 *
 * @module
 */
import { invalidArg, SessionRequiredError } from '../errors.js'
import type { DpopKey } from '../oidc/dpop.js'
import type { DpopNonces } from '../oidc/dpop-nonces.js'
import { requestResource } from '../oidc/resource.js'
import { getHeader, getMethod, type HeaderRecord, type RequestLike } from '../request/headers.js'
import { deletionsOnly, html, json, type Responder } from '../request/responses.js'
import { isLoopbackHost } from '../request/url.js'
import type { PresentableToken, ResourceTokens } from '../session/resource-tokens.js'
import { idTokenClaims, type Session } from '../session/session.js'
import type { AuthResult } from '../session/types.js'
import type { StoreContext } from '../stores/types.js'
import type { ForwardOptions, ForwardRequest } from './types.js'
import {
  hasChallenge,
  passableRequestHeaders,
  passableResponseHeaders,
  withoutOwnCookies,
  type Challenge,
} from './headers.js'

/** What {@link createForwarder} needs from the manager. */
export interface ForwarderDeps {
  /** The app's origin: `X-Forwarded-Proto`/`-Host`, and the base of path-only request URLs. */
  origin: string
  storeContext(request: RequestLike): StoreContext
  authenticate(
    ctx: StoreContext,
    options: { waitUntil?: (promise: Promise<unknown>) => void },
  ): Promise<AuthResult>
  responder: Responder
  resourceTokens: ResourceTokens
  dpopKey(session: Session): Promise<DpopKey | undefined>
  /** `true` for the names of the gateway's own cookies (session, chunks, login transactions). */
  isOwnCookie(name: string): boolean
  /** The session cookie's full name (its chunks are `<name>.<n>`). */
  cookieName: string
  /** Validates `options.resource` (a configured resource). @throws TypeError */
  checkResource(resource: unknown): string | undefined
  dpopNonces: DpopNonces
  /** Replacement `fetch` (`http.fetch`). */
  fetch: typeof fetch | undefined
}

/** Methods whose request may be sent again after a refresh (RFC 9110 §9.2.2), when bodiless. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])
/** Statuses whose response has no body (a `Response` refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

type Sent = { response: Response; challenges: readonly Challenge[] } | { failure: 502 | 504 }

function toHeaders(input: Headers | HeaderRecord): Headers {
  if (
    typeof (input as Headers).forEach === 'function' &&
    typeof (input as Headers).get === 'function'
  )
    return input as Headers
  const out = new Headers()
  for (const [name, value] of Object.entries(input as HeaderRecord)) {
    if (value === undefined) continue
    try {
      if (typeof value === 'string') out.append(name, value)
      else if (name.toLowerCase() === 'cookie') out.append(name, value.join('; '))
      else for (const entry of value) out.append(name, entry)
    } catch {
      // a header Fetch refuses (invalid characters) is not forwarded
    }
  }
  return out
}

/** The upstream base URL, validated. */
function upstreamBase(upstream: string | URL, allowInsecure: boolean): URL {
  let base: URL
  try {
    base = new URL(upstream)
  } catch {
    throw invalidArg('"upstream" must be an absolute URL')
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw invalidArg('"upstream" must be an http(s) URL')
  if (base.search !== '' || base.hash !== '' || base.username !== '' || base.password !== '')
    throw invalidArg('"upstream" must not carry a query, a fragment or credentials')
  if (base.protocol === 'http:' && !isLoopbackHost(base.hostname) && !allowInsecure)
    throw invalidArg(
      '"upstream" is plain HTTP on a non-loopback host: use https, or set "allowInsecureRequests" knowingly',
    )
  return base
}

/**
 * The request's URL: a path-only URL is appended to the origin as a string, so `//host/x` stays a
 * path and cannot name another host.
 */
function requestUrl(request: RequestLike, origin: string): URL {
  return new URL(request.url.startsWith('/') ? `${origin}${request.url}` : request.url)
}

/**
 * Create `forward(request, upstream, options)`.
 *
 * For one request:
 * 1. `authenticate` (refreshing when due); no usable session: the `protect()` answer (401 JSON for
 *    API calls, 302 to login for navigations, 503 when the provider or store is down).
 * 2. The token to present: the session's own, or the resource's (`options.resource`).
 * 3. The upstream request: the upstream's path prefix + the request's path and query (normalised
 *    as a URL: dot segments resolved, so a path cannot climb out of the prefix), the method, the
 *    body as a stream, the client's headers minus hop-by-hop ones, the gateway's own cookies,
 *    `Authorization`, `DPoP` and every `X-Forwarded-*`; then `Authorization: Bearer <token>` (or
 *    `DPoP <token>` and a `DPoP` proof with `ath`, RFC 9449 §7), `X-Forwarded-Proto`/`-Host` (the
 *    app's origin), `X-Forwarded-For`, `X-Forwarded-User`/`-Email`, `Accept-Encoding: identity`.
 * 4. A `401` with `use_dpop_nonce` is retried with the nonce (bodiless requests); a `401` with
 *    `invalid_token` triggers one forced refresh and one retry (idempotent, bodiless requests).
 * 5. The answer streams back with hop-by-hop headers dropped, `Set-Cookie` lines for the gateway's
 *    own cookies dropped, the gateway's own `Set-Cookie` lines added, and a `Location` on the
 *    upstream mapped back to the app's origin. No answer: `502`; none within `timeoutMs`: `504`.
 *
 * @param deps see {@link ForwarderDeps}
 * @returns `forward(request, upstream, options)`
 * @example
 * ```ts
 * const forward = createForwarder(deps)
 * return forward(request, 'http://127.0.0.1:8080/api', { resource: 'https://api.example' })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-7.6 (message forwarding)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1 (Bearer)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7 (DPoP at a resource server)
 */
export function createForwarder(
  deps: ForwarderDeps,
): (
  request: ForwardRequest,
  upstream: string | URL,
  options?: ForwardOptions,
) => Promise<Response> {
  const { origin, responder } = deps
  const app = new URL(origin)

  return async function forward(request, upstream, options = {}) {
    if (typeof options !== 'object' || options === null)
      throw invalidArg('"options" must be an object', 'ERR_INVALID_ARG_TYPE')
    const base = upstreamBase(upstream, options.allowInsecureRequests === true)
    const { timeoutMs, clientAddress, waitUntil } = options
    if (waitUntil !== undefined && typeof waitUntil !== 'function')
      throw invalidArg('"waitUntil" must be a function', 'ERR_INVALID_ARG_TYPE')
    const resource = deps.checkResource(options.resource)
    if (
      timeoutMs !== undefined &&
      (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)
    )
      throw invalidArg('"timeoutMs" must be a positive number')
    if (clientAddress !== undefined && typeof clientAddress !== 'string')
      throw invalidArg('"clientAddress" must be a string', 'ERR_INVALID_ARG_TYPE')

    let incoming: URL
    try {
      incoming = requestUrl(request, origin)
    } catch {
      return json(400, { error: 'invalid_request', error_description: 'unusable request target' })
    }
    const method = getMethod(request)

    const ctx = deps.storeContext(request)
    let auth: AuthResult
    try {
      auth = await deps.authenticate(ctx, waitUntil ? { waitUntil } : {})
    } catch (error) {
      return responder.errorResponse(request, error)
    }
    if (!auth.ok) return responder.failureResponse(request, auth.reason, auth.headers)
    let session = auth.session

    /** A failure answer carrying the cookie deletions this request caused. */
    const failed = (error: unknown) => {
      const response = responder.errorResponse(request, error)
      for (const line of deletionsOnly(ctx.jar.applyTo(new Headers())).getSetCookie())
        response.headers.append('set-cookie', line)
      return response
    }
    let presented: PresentableToken
    try {
      ;({ session, token: presented } = await deps.resourceTokens.token(ctx, session, resource, {
        waitUntil,
      }))
    } catch (error) {
      return failed(error)
    }

    // The upstream request: the prefix, then the request's (normalised) path and query.
    const prefix = base.pathname.replace(/\/+$/, '')
    const target = new URL(`${base.origin}${prefix}${incoming.pathname}${incoming.search}`)
    const headers = passableRequestHeaders(toHeaders(request.headers))
    const cookie = withoutOwnCookies(getHeader(request, 'cookie'), deps.isOwnCookie)
    if (cookie !== undefined) headers.set('cookie', cookie)
    // Fetch would decode a compressed answer but keep its Content-Encoding: ask for none.
    headers.set('accept-encoding', 'identity')
    headers.set('x-forwarded-proto', app.protocol.slice(0, -1))
    headers.set('x-forwarded-host', app.host)
    const forwardedFor = [
      options.trustForwardedFor === true
        ? getHeader(request, 'x-forwarded-for')?.trim()
        : undefined,
      clientAddress,
    ].filter((part): part is string => part !== undefined && part !== '')
    if (forwardedFor.length > 0) headers.set('x-forwarded-for', forwardedFor.join(', '))
    if (options.identityHeaders !== false) {
      try {
        headers.set('x-forwarded-user', session.sub)
        const email = idTokenClaims(session).email
        if (typeof email === 'string' && email !== '') headers.set('x-forwarded-email', email)
      } catch {
        // a claim Fetch refuses as a header value (control characters) is not sent
      }
    }
    const body = method === 'GET' || method === 'HEAD' ? null : (request.body ?? null)
    const replayable = body === null

    async function attempt(token: PresentableToken, dpop: DpopKey | undefined): Promise<Sent> {
      // A timer only with a timeout; the client's own signal as is without one.
      const controller = timeoutMs === undefined ? undefined : new AbortController()
      const timer = controller && setTimeout(() => controller.abort(), timeoutMs)
      const signal =
        controller === undefined
          ? request.signal
          : request.signal !== undefined && typeof AbortSignal.any === 'function'
            ? AbortSignal.any([controller.signal, request.signal])
            : controller.signal
      try {
        return await requestResource(
          token.accessToken,
          method,
          target,
          new Headers(headers),
          body,
          {
            dpop,
            signal,
            allowInsecureRequests: base.protocol === 'http:',
            fetch: deps.fetch,
            nonces: deps.dpopNonces,
          },
        )
      } catch {
        return { failure: controller?.signal.aborted === true ? 504 : 502 }
      } finally {
        if (timer !== undefined) clearTimeout(timer)
      }
    }

    const keyFor = async (token: PresentableToken) =>
      token.tokenType.toLowerCase() === 'dpop' ? await deps.dpopKey(session) : undefined
    let dpop: DpopKey | undefined
    try {
      dpop = await keyFor(presented)
    } catch (error) {
      return failed(
        error instanceof SessionRequiredError ? error : new SessionRequiredError('tampered'),
      )
    }
    let sent = await attempt(presented, dpop)
    if (
      'response' in sent &&
      replayable &&
      dpop !== undefined &&
      hasChallenge(sent.response.status, sent.challenges, 'use_dpop_nonce')
    ) {
      // The proof carried no (or a stale) nonce: the handle learned the upstream's from this answer.
      await sent.response.body?.cancel()
      sent = await attempt(presented, dpop)
    }
    if (
      'response' in sent &&
      replayable &&
      IDEMPOTENT.has(method) &&
      hasChallenge(sent.response.status, sent.challenges, 'invalid_token')
    ) {
      // The upstream refused the token (revoked, or expired before its time): refresh once, retry.
      let again
      try {
        again = await deps.resourceTokens.token(ctx, session, resource, {
          force: true,
          rejected: presented.accessToken,
          waitUntil,
        })
      } catch (error) {
        if (error instanceof SessionRequiredError) {
          await sent.response.body?.cancel()
          return failed(error)
        }
        again = undefined // a transient failure: the upstream's own answer goes back
      }
      if (again?.refreshed) {
        await sent.response.body?.cancel()
        session = again.session
        presented = again.token
        sent = await attempt(presented, await keyFor(presented).catch(() => undefined))
      }
    }

    // A refreshed cookie session written here may have been superseded while the upstream
    // worked (another request rotated the refresh token): send the newest.
    if (ctx.jar.isSet(deps.cookieName) || ctx.jar.isSet(`${deps.cookieName}.0`))
      session = await deps.resourceTokens.settle(ctx, session)
    const cookies = ctx.jar.setCookieLines()
    if ('failure' in sent) {
      const headers = new Headers()
      for (const line of cookies) headers.append('set-cookie', line)
      const [title, text] =
        sent.failure === 504
          ? ['Gateway timeout', 'The application did not answer in time.']
          : ['Bad gateway', 'The application could not be reached.']
      return responder.isAjax(request)
        ? json(
            sent.failure,
            {
              error: sent.failure === 504 ? 'gateway_timeout' : 'bad_gateway',
              error_description: text,
            },
            headers,
          )
        : html(sent.failure, title, text, headers)
    }
    const { response } = sent
    const out = passableResponseHeaders(response.headers, deps.isOwnCookie)
    const location = out.get('location')
    if (location !== null) out.set('location', mapLocation(location, base, prefix, origin))
    for (const line of cookies) out.append('set-cookie', line)
    return new Response(NULL_BODY.has(response.status) ? null : response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: out,
    })
  }
}

/** A `Location` on the upstream (absolute, or an absolute path under the prefix) mapped to the app. */
function mapLocation(location: string, base: URL, prefix: string, origin: string): string {
  let url: URL
  try {
    url = new URL(location, base)
  } catch {
    return location
  }
  const onUpstream = location.startsWith('/')
    ? !location.startsWith('//')
    : url.origin === base.origin
  if (!onUpstream) return location
  if (prefix !== '' && url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`))
    return location
  const path = url.pathname.slice(prefix.length) || '/'
  return `${origin}${path}${url.search}${url.hash}`
}
