/**
 * Header rules of the gateway: what a forwarded request keeps of the client's headers, what a
 * forwarded response keeps of the upstream's, and the `Cookie` header without the gateway's own
 * cookies. Pure functions of their inputs.
 *
 * @module
 */

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus the de-facto `Keep-Alive`, `Proxy-Connection` and the
 * proxy authentication pair): meaningful for one connection only, never forwarded.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/**
 * Request headers the gateway sets itself or never passes on: a client must not choose the token,
 * the proof, the identity or the forwarding headers the upstream trusts.
 */
const OWNED_REQUEST_HEADERS = new Set([
  'host',
  'authorization',
  'dpop',
  'cookie',
  'forwarded',
  'x-real-ip',
  'expect',
  'accept-encoding',
])

/** Prefixes of request headers the gateway owns (`X-Forwarded-User`, `X-Auth-Request-Email`…). */
const OWNED_PREFIXES = ['x-forwarded-', 'x-auth-request-']

/** Content codings a Fetch implementation decodes on its own (the body arrives decoded). */
const DECODED_CODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'br'])

/** The header names a `Connection` header lists (they are hop-by-hop too). */
function connectionListed(headers: Headers): Set<string> {
  const listed = new Set<string>()
  for (const name of (headers.get('connection') ?? '').split(','))
    if (name.trim() !== '') listed.add(name.trim().toLowerCase())
  return listed
}

/**
 * The client's headers an upstream may see: everything but hop-by-hop headers (and those named by
 * `Connection`), `Host`, `Authorization`, `DPoP`, `Cookie`, `Expect`, `Accept-Encoding`,
 * `Forwarded`, `X-Real-IP` and every `X-Forwarded-*` / `X-Auth-Request-*` header.
 *
 * @param headers the incoming request's headers
 * @returns a new `Headers` to complete with the gateway's own
 * @example
 * ```ts
 * const upstream = passableRequestHeaders(request.headers) // then set authorization, x-forwarded-*…
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-7.6.1
 */
export function passableRequestHeaders(headers: Headers): Headers {
  const listed = connectionListed(headers)
  const out = new Headers()
  headers.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || listed.has(name) || OWNED_REQUEST_HEADERS.has(name)) return
    if (OWNED_PREFIXES.some((prefix) => name.startsWith(prefix))) return
    out.append(name, value)
  })
  return out
}

/**
 * The upstream's response headers a client may see: everything but hop-by-hop headers (and those
 * named by `Connection`), `Content-Encoding`/`Content-Length` of a body the Fetch implementation
 * already decoded, and `Set-Cookie` lines for `isOwnCookie` names (an upstream cannot overwrite
 * or delete the gateway's session).
 *
 * @param headers the upstream response's headers
 * @param isOwnCookie `true` for a cookie name the gateway owns
 * @returns a new `Headers`
 * @example
 * ```ts
 * const headers = passableResponseHeaders(response.headers, (name) => name.startsWith('oidc_session'))
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-7.6.1
 */
export function passableResponseHeaders(
  headers: Headers,
  isOwnCookie: (name: string) => boolean,
): Headers {
  const listed = connectionListed(headers)
  const coding = (headers.get('content-encoding') ?? '').trim().toLowerCase()
  const decoded = coding !== '' && coding.split(',').every((c) => DECODED_CODINGS.has(c.trim()))
  const out = new Headers()
  headers.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || listed.has(name) || name === 'set-cookie') return
    if (decoded && (name === 'content-encoding' || name === 'content-length')) return
    out.append(name, value)
  })
  for (const line of headers.getSetCookie()) {
    const name = line.slice(0, Math.max(0, line.indexOf('='))).trim()
    if (!isOwnCookie(name)) out.append('set-cookie', line)
  }
  return out
}

/**
 * The `Cookie` header without the gateway's own cookies; every other cookie is kept byte for byte,
 * in order.
 *
 * @param cookieHeader the request's `Cookie` header
 * @param isOwnCookie `true` for a cookie name the gateway owns
 * @returns the remaining header, or `undefined` when no cookie is left
 * @example
 * ```ts
 * withoutOwnCookies('__Host-oidc_session=…; theme=dark', (n) => n.startsWith('__Host-oidc_session')) // 'theme=dark'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-5.4
 */
export function withoutOwnCookies(
  cookieHeader: string | undefined,
  isOwnCookie: (name: string) => boolean,
): string | undefined {
  if (cookieHeader === undefined) return undefined
  const kept: string[] = []
  for (const pair of cookieHeader.split(';')) {
    const trimmed = pair.trim()
    if (trimmed === '') continue
    const eq = trimmed.indexOf('=')
    const name = (eq < 0 ? trimmed : trimmed.slice(0, eq)).trim()
    if (!isOwnCookie(name)) kept.push(trimmed)
  }
  return kept.length > 0 ? kept.join('; ') : undefined
}

/** A parsed `WWW-Authenticate` challenge (as `oauth4webapi` parses it). */
export interface Challenge {
  /** Lower-case scheme (`bearer`, `dpop`). */
  readonly scheme: string
  readonly parameters: { readonly error?: string | undefined }
}

/**
 * `true` when a `401` carries a `Bearer` or `DPoP` challenge with `error="<code>"` (RFC 6750 §3,
 * RFC 9449 §7.1).
 *
 * @param status the upstream's status
 * @param challenges its `WWW-Authenticate` challenges, parsed by `oauth4webapi`
 * @param code `invalid_token` or `use_dpop_nonce`
 * @returns whether it is that challenge
 * @example
 * ```ts
 * if (hasChallenge(401, [{ scheme: 'bearer', parameters: { error: 'invalid_token' } }], 'invalid_token')) // refresh once, retry
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 */
export function hasChallenge(
  status: number,
  challenges: readonly Challenge[],
  code: 'invalid_token' | 'use_dpop_nonce',
): boolean {
  return (
    status === 401 &&
    challenges.some(
      (c) => (c.scheme === 'bearer' || c.scheme === 'dpop') && c.parameters.error === code,
    )
  )
}
