/**
 * `Set-Cookie` lines → the `Cookie` header the rest of the same request should see. Frameworks
 * that run an interceptor before the handler (Next.js proxy/middleware, gateways, edge workers)
 * need it so that the handler reads the session the interceptor just refreshed, instead of the
 * stale one the browser sent.
 *
 * @module
 */
import { parseSetCookie } from 'cookie'

/** Options of {@link forwardCookies}. */
export interface ForwardCookiesOptions {
  /**
   * Time in milliseconds since the epoch, to tell an `Expires` in the past (a deletion). Default
   * `Date.now()`.
   */
  now?: number
  /**
   * The request's path. When given, a line whose `Path` does not path-match it (RFC 6265 §5.1.4)
   * is skipped, as a browser would not send that cookie with this request. Default: every line
   * applies.
   */
  path?: string
}

/** `true` when `requestPath` path-matches `cookiePath` (RFC 6265 §5.1.4). */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true
  if (!requestPath.startsWith(cookiePath)) return false
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/'
}

/**
 * Apply `Set-Cookie` lines to a request's `Cookie` header: a cookie that is set gets its new value,
 * one that is deleted (`Max-Age` ≤ 0, or an `Expires` in the past when there is no `Max-Age`)
 * disappears, a new one is appended; every other cookie keeps its place and its exact bytes. Values
 * are copied as they are on the wire (never decoded or re-encoded). Several cookies of one name
 * (other paths or domains) collapse into the one the lines set. Lines without a cookie name are
 * ignored; `Domain`, `Secure` and `SameSite` are not checked (the lines are assumed to be this
 * request's own answer).
 *
 * @param cookieHeader the request's `Cookie` header (absent → no cookies)
 * @param setCookies the `Set-Cookie` lines of the response, in order (a later line for a name wins)
 * @param options `now` for `Expires`, `path` to skip lines for other paths
 * @returns the new `Cookie` header; `''` when no cookie is left
 * @throws nothing: unparsable lines are skipped
 * @example
 * ```ts
 * forwardCookies('theme=dark; sid=old', ['sid=new; Path=/; HttpOnly', 'tx=; Max-Age=0'])
 * // → 'theme=dark; sid=new'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-5.4 (the `Cookie` header)
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-5.2 (`Set-Cookie` attributes)
 */
export function forwardCookies(
  cookieHeader: string | null | undefined,
  setCookies: Iterable<string>,
  options: ForwardCookiesOptions = {},
): string {
  // `[name, raw pair]`; a pair without `=` has no name and is passed through untouched.
  const pairs: [string | undefined, string][] = []
  for (const part of (cookieHeader ?? '').split(';')) {
    const pair = part.trim()
    if (pair === '') continue
    const eq = pair.indexOf('=')
    pairs.push([eq === -1 ? undefined : pair.slice(0, eq).trim(), pair])
  }

  const now = options.now ?? Date.now()
  for (const line of setCookies) {
    const parsed = parseSetCookie(line, { decode: (value) => value })
    const name = parsed.name
    if (name === '') continue
    if (options.path !== undefined && parsed.path?.startsWith('/')) {
      if (!pathMatches(options.path, parsed.path)) continue
    }
    const deleted =
      parsed.maxAge !== undefined
        ? parsed.maxAge <= 0
        : parsed.expires !== undefined && parsed.expires.getTime() <= now
    const first = pairs.findIndex(([n]) => n === name)
    const replacement: [string, string] = [name, `${name}=${parsed.value ?? ''}`]
    for (let i = pairs.length - 1; i > first; i--) if (pairs[i]?.[0] === name) pairs.splice(i, 1)
    if (deleted) {
      if (first !== -1) pairs.splice(first, 1)
    } else if (first !== -1) {
      pairs[first] = replacement
    } else {
      pairs.push(replacement)
    }
  }
  return pairs.map(([, pair]) => pair).join('; ')
}
