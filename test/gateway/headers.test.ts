/**
 * The gateway's header rules, as pure functions: what reaches the upstream, what comes back, and
 * the `Cookie` header without the gateway's own cookies.
 */
import { describe, expect, it } from 'vitest'
import {
  hasChallenge,
  passableRequestHeaders,
  passableResponseHeaders,
  withoutOwnCookies,
} from '../../src/gateway/headers.js'

const own = (name: string) =>
  name === '__Host-oidc_session' ||
  name.startsWith('__Host-oidc_session.') ||
  name.startsWith('__Host-oidc_session_tx.')

describe('passableRequestHeaders', () => {
  it('drops hop-by-hop headers, those Connection names, and every header the gateway owns', () => {
    const out = passableRequestHeaders(
      new Headers({
        accept: 'application/json',
        'content-type': 'text/plain',
        'x-request-id': 'r-1',
        connection: 'keep-alive, X-Hop',
        'x-hop': 'private',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        trailer: 'x',
        upgrade: 'websocket',
        'proxy-authorization': 'Basic x',
        host: 'evil.example',
        authorization: 'Bearer client-chosen',
        dpop: 'client-proof',
        cookie: 'a=b',
        forwarded: 'for=203.0.113.9',
        'x-forwarded-user': 'mallory',
        'x-forwarded-for': '203.0.113.9',
        'x-auth-request-email': 'm@evil.example',
        'x-real-ip': '203.0.113.9',
        expect: '100-continue',
        'accept-encoding': 'gzip',
      }),
    )
    expect([...out.keys()].sort()).toEqual(['accept', 'content-type', 'x-request-id'])
  })
})

describe('passableResponseHeaders', () => {
  it('drops hop-by-hop headers and Set-Cookie lines for the gateway cookies, keeps the others', () => {
    const headers = new Headers({ 'content-type': 'text/html', connection: 'close, x-private' })
    headers.append('x-private', '1')
    headers.append('set-cookie', 'pref=1; Path=/')
    headers.append('set-cookie', '__Host-oidc_session=evil; Path=/')
    headers.append('set-cookie', '__Host-oidc_session.0=evil; Path=/')
    headers.append('set-cookie', '__Host-oidc_session_tx.abc=evil; Path=/')
    const out = passableResponseHeaders(headers, own)
    expect(out.get('content-type')).toBe('text/html')
    expect(out.has('connection')).toBe(false)
    expect(out.has('x-private')).toBe(false)
    expect(out.getSetCookie()).toEqual(['pref=1; Path=/'])
  })

  it('drops Content-Encoding and Content-Length of a body Fetch decoded, keeps an unknown coding', () => {
    const decoded = passableResponseHeaders(
      new Headers({ 'content-encoding': 'gzip', 'content-length': '10', etag: '"x"' }),
      own,
    )
    expect(decoded.has('content-encoding')).toBe(false)
    expect(decoded.has('content-length')).toBe(false)
    expect(decoded.get('etag')).toBe('"x"')
    const raw = passableResponseHeaders(
      new Headers({ 'content-encoding': 'zstd', 'content-length': '10' }),
      own,
    )
    expect(raw.get('content-encoding')).toBe('zstd')
    expect(raw.get('content-length')).toBe('10')
  })
})

describe('withoutOwnCookies', () => {
  it('removes the session cookie, its chunks and login transactions, and keeps the rest byte for byte', () => {
    expect(
      withoutOwnCookies(
        '__Host-oidc_session.0=2*abc; theme=dark;__Host-oidc_session.1=def;  q="a b"; __Host-oidc_session_tx.s1=t; flag',
        own,
      ),
    ).toBe('theme=dark; q="a b"; flag')
    expect(withoutOwnCookies('__Host-oidc_session=x', own)).toBeUndefined()
    expect(withoutOwnCookies(undefined, own)).toBeUndefined()
    // A look-alike name is someone else's cookie.
    expect(withoutOwnCookies('__Host-oidc_sessionx=1; oidc_session=2', own)).toBe(
      '__Host-oidc_sessionx=1; oidc_session=2',
    )
  })
})

describe('hasChallenge', () => {
  it('matches a 401 with a Bearer or DPoP challenge carrying the error code', () => {
    const bearer = [{ scheme: 'bearer', parameters: { error: 'invalid_token' } }]
    const dpop = [{ scheme: 'dpop', parameters: { error: 'use_dpop_nonce' } }]
    expect(hasChallenge(401, bearer, 'invalid_token')).toBe(true)
    expect(hasChallenge(401, dpop, 'use_dpop_nonce')).toBe(true)
    expect(hasChallenge(403, bearer, 'invalid_token')).toBe(false)
    expect(hasChallenge(401, bearer, 'use_dpop_nonce')).toBe(false)
    expect(
      hasChallenge(
        401,
        [{ scheme: 'basic', parameters: { error: 'invalid_token' } }],
        'invalid_token',
      ),
    ).toBe(false)
    expect(hasChallenge(401, [], 'invalid_token')).toBe(false)
  })
})
