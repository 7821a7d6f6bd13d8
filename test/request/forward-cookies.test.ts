/**
 * `forwardCookies`: the `Cookie` header the rest of a request sees after an interceptor's
 * `Set-Cookie` lines — including the library's own chunked-session rewrites.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CookieJar, forwardCookies } from 'oidc-session'

const NOW = Date.UTC(2030, 0, 1)

describe('forwardCookies', () => {
  it('replaces a value in place, keeps every other cookie byte for byte, appends new ones', () => {
    expect(
      forwardCookies('a=1; sid=old; b="quoted%20value"', [
        'sid=new; Path=/; HttpOnly; SameSite=Lax',
        'fresh=yes; Path=/',
      ]),
    ).toBe('a=1; sid=new; b="quoted%20value"; fresh=yes')
  })

  it('removes cookies deleted by Max-Age<=0, or by an Expires in the past without Max-Age', () => {
    expect(
      forwardCookies(
        'a=1; b=2; c=3; d=4',
        [
          'a=; Max-Age=0; Path=/',
          'b=; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
          'c=kept; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT', // Max-Age wins
          'd=5; Expires=Wed, 01 Jan 2031 00:00:00 GMT',
        ],
        { now: NOW },
      ),
    ).toBe('c=kept; d=5')
    expect(forwardCookies('a=1', ['a=; Max-Age=0'])).toBe('')
    expect(forwardCookies(undefined, ['gone=; Max-Age=0'])).toBe('')
  })

  it('a later line for the same name wins; duplicate request cookies collapse into one', () => {
    expect(forwardCookies('x=1; y=2; x=3', ['x=a', 'x=b'])).toBe('x=b; y=2')
    expect(forwardCookies('x=1; y=2; x=3', ['x=; Max-Age=0'])).toBe('y=2')
  })

  it('copies values as they are on the wire (no decoding, no re-encoding)', () => {
    expect(forwardCookies('', ['v=a%3Bb%20c; Path=/'])).toBe('v=a%3Bb%20c')
    expect(forwardCookies(null, ['e=; Path=/'])).toBe('e=')
  })

  it('ignores lines without a cookie name and keeps nameless request pairs untouched', () => {
    expect(forwardCookies('flag; a=1', ['=nameless', 'novalue', 'a=2'])).toBe('flag; a=2')
  })

  it('skips lines for other paths when the request path is given', () => {
    const lines = ['root=1; Path=/', 'api=1; Path=/api', 'apix=1; Path=/api/', 'other=1; Path=/x']
    expect(forwardCookies('', lines, { path: '/api/me' })).toBe('root=1; api=1; apix=1')
    expect(forwardCookies('', lines, { path: '/apis' })).toBe('root=1')
    expect(forwardCookies('', lines)).toBe('root=1; api=1; apix=1; other=1')
  })

  it("turns the library's chunked-session rewrite into exactly the browser's next Cookie header", () => {
    // A shrinking session: chunks .0-.2 replaced by one unsplit cookie, stale chunks deleted.
    const before = 'theme=dark; oidc_session.0=AAA; oidc_session.1=BBB; oidc_session.2=CCC'
    const jar = new CookieJar(before)
    const attributes = { httpOnly: true, secure: false, sameSite: 'lax' as const, path: '/' }
    jar.set('oidc_session', 'SMALL', attributes)
    for (const n of [0, 1, 2]) jar.expire(`oidc_session.${n}`, attributes)
    expect(forwardCookies(before, jar.setCookieLines(), { path: '/' })).toBe(
      'theme=dark; oidc_session=SMALL',
    )
  })

  it('property: the result is what a browser jar holding the request cookies would send next', () => {
    const name = fc.constantFrom('a', 'b', 'c', 'oidc_session', 'oidc_session.0', 'oidc_session.1')
    const value = fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/)
    const line = fc.record({ name, value, deleted: fc.boolean() })
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n }),
        fc.array(line, { maxLength: 8 }),
        (initial, lines) => {
          const header = initial.map(([n, v]) => `${n}=${v}`).join('; ')
          const model = new Map(initial)
          for (const l of lines) {
            if (l.deleted) model.delete(l.name)
            else model.set(l.name, l.value)
          }
          const out = forwardCookies(
            header,
            lines.map((l) =>
              l.deleted ? `${l.name}=; Max-Age=0` : `${l.name}=${l.value}; Path=/`,
            ),
          )
          const parsed = new Map(
            out === ''
              ? []
              : out.split('; ').map((pair) => {
                  const eq = pair.indexOf('=')
                  return [pair.slice(0, eq), pair.slice(eq + 1)] as const
                }),
          )
          expect(parsed).toEqual(model)
          // Cookies the lines did not touch keep their relative order.
          const untouched: string[] = initial
            .map(([n]) => n)
            .filter((n) => !lines.some((l) => l.name === n))
          expect([...parsed.keys()].filter((n) => untouched.includes(n))).toEqual(untouched)
        },
      ),
    )
  })
})
