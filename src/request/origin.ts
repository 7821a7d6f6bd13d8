/**
 * The origin a request is answered from: the configured app origin, or — only when the application
 * opts in with `trustProxy` — the origin its reverse proxy forwarded.
 *
 * @module
 */
import { getHeader, type HeadersInput, type RequestLike } from './headers.js'

/**
 * `trustProxy` as resolved: `false` (forwarded headers are ignored), `true` (any forwarded origin
 * is used) or the set of origins a forwarded origin may name.
 */
export type ResolvedTrustProxy = boolean | ReadonlySet<string>

/** Options of {@link createRequestOrigin}. */
export interface RequestOriginOptions {
  /** The configured app origin (`https://app.example.com`). */
  origin: string
  trustProxy: ResolvedTrustProxy
  /** The cookies are `Secure`: a forwarded `http:` origin is never used (they would not be stored). */
  secureOnly: boolean
}

/** A host as `Host` and `X-Forwarded-Host` carry it: a name or IP literal and an optional port. */
const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/** The last comma-separated value of a header (the one the nearest proxy added), trimmed. */
function last(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const item = value.slice(value.lastIndexOf(',') + 1).trim()
  return item === '' ? undefined : item
}

/** `proto` and `host` of the last element of an RFC 7239 `Forwarded` header. */
function parseForwarded(value: string): { proto?: string; host?: string } {
  // Split on commas outside quoted strings; keep the last element (added by the nearest proxy).
  const elements = value.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? []
  const element = elements[elements.length - 1] ?? ''
  const out: { proto?: string; host?: string } = {}
  for (const pair of element.split(';')) {
    const eq = pair.indexOf('=')
    if (eq < 0) continue
    const name = pair.slice(0, eq).trim().toLowerCase()
    let val = pair.slice(eq + 1).trim()
    if (val.startsWith('"') && val.endsWith('"') && val.length >= 2)
      val = val.slice(1, -1).replace(/\\(.)/g, '$1')
    if (name === 'proto') out.proto = val
    else if (name === 'host') out.host = val
  }
  return out
}

/**
 * The origin a reverse proxy says the client used: RFC 7239 `Forwarded` (`proto`, `host` of its
 * last element), else `X-Forwarded-Proto` and `X-Forwarded-Host` (their last values), the host
 * falling back to `Host` and the scheme to `fallbackProtocol`. `undefined` when the result is not
 * a plain `http(s)` origin (a host with a path, user info or odd characters is refused).
 *
 * Only meaningful behind a proxy that sets these headers itself: a client can send any of them.
 *
 * @param request the request (its headers)
 * @param fallbackProtocol scheme when no forwarded one is given (`https:`)
 * @returns the origin (`https://app.example.com`), or `undefined`
 * @example
 * ```ts
 * forwardedOrigin({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' }, 'http:')
 * // → 'https://app.example.com'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7239#section-4
 */
export function forwardedOrigin(
  request: HeadersInput,
  fallbackProtocol: string,
): string | undefined {
  const forwarded = getHeader(request, 'forwarded')
  const fromForwarded = forwarded === undefined ? {} : parseForwarded(forwarded)
  const proto = (
    fromForwarded.proto ??
    last(getHeader(request, 'x-forwarded-proto')) ??
    fallbackProtocol.replace(/:$/, '')
  ).toLowerCase()
  const host =
    fromForwarded.host ?? last(getHeader(request, 'x-forwarded-host')) ?? getHeader(request, 'host')
  if ((proto !== 'http' && proto !== 'https') || host === undefined || !HOST.test(host))
    return undefined
  try {
    return new URL(`${proto}://${host}`).origin
  } catch {
    return undefined
  }
}

/**
 * Build the per-request origin function the manager uses wherever it needs the app's origin
 * (redirects, `returnTo`, the redirect URI, the same-origin checks of logout). Without
 * `trustProxy` it always answers the configured origin; with it, the forwarded origin when it is
 * allowed (listed, or any with `true`; never `http:` when cookies are `Secure`), else the
 * configured one.
 *
 * @param options see {@link RequestOriginOptions}
 * @returns `(request) => origin`
 * @example
 * ```ts
 * const originOf = createRequestOrigin({ origin: 'https://app.example', trustProxy: false, secureOnly: true })
 * originOf(request) // 'https://app.example', whatever X-Forwarded-Host says
 * ```
 */
export function createRequestOrigin(
  options: RequestOriginOptions,
): (request: RequestLike) => string {
  const { origin, trustProxy, secureOnly } = options
  if (trustProxy === false) return () => origin
  const protocol = new URL(origin).protocol
  return (request) => {
    const candidate = forwardedOrigin(request, protocol)
    if (candidate === undefined || candidate === origin) return origin
    if (secureOnly && !candidate.startsWith('https:')) return origin
    return trustProxy === true || trustProxy.has(candidate) ? candidate : origin
  }
}

/**
 * `url` moved to `requestOrigin` when it is on the configured `origin` (a redirect URI, a
 * post-logout URI), else `url` unchanged.
 *
 * @param url an absolute URL from the configuration
 * @param origin the configured app origin
 * @param requestOrigin the request's origin
 * @returns the URL to use for this request
 * @example
 * ```ts
 * onRequestOrigin(new URL('https://a.example/callback'), 'https://a.example', 'https://b.example')
 * // → https://b.example/callback
 * ```
 */
export function onRequestOrigin(url: URL, origin: string, requestOrigin: string): URL {
  return requestOrigin === origin || url.origin !== origin
    ? url
    : new URL(url.pathname + url.search + url.hash, requestOrigin)
}
