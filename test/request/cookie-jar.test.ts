import { describe, expect, it } from 'vitest'
import { CookieJar, setCookieLine } from '../../src/request/cookie-jar.js'
import { noise } from '../fixtures/store-helpers.js'

describe('CookieJar: parsing the Cookie header', () => {
  it('reads names and values', () => {
    const jar = new CookieJar('a=1; b=two; c="quoted"; d=%41%42')
    expect(jar.get('a')).toBe('1')
    expect(jar.get('b')).toBe('two')
    expect(jar.get('d')).toBe('AB')
    expect(jar.get('missing')).toBeUndefined()
    expect(jar.names()).toEqual(expect.arrayContaining(['a', 'b', 'c', 'd']))
  })

  it('has no cookies without a header', () => {
    for (const header of [undefined, null, '']) {
      const jar = new CookieJar(header)
      expect(jar.names()).toEqual([])
      expect(jar.get('a')).toBeUndefined()
    }
  })

  it('keeps the first of duplicate names', () => {
    expect(new CookieJar('a=1; a=2').get('a')).toBe('1')
  })

  it('never throws on garbage and never pollutes prototypes', () => {
    const garbage = [
      ';;;',
      '=',
      '==;==',
      'a',
      'a=%',
      'a=%E0%A4%A',
      'a=%zz',
      '__proto__=x; constructor=y; toString=z',
      '\u0000\u0001=\u0002',
      'é=ü; 😀=1',
      ' ; a = 1 ; ',
      'a="',
      `big=${'x'.repeat(100_000)}`,
      noise(5000, 3).replace(/[A-F]/g, ';').replace(/[G-K]/g, '='),
    ]
    for (const header of garbage) {
      const jar = new CookieJar(header)
      expect(Array.isArray(jar.names())).toBe(true)
      for (const name of jar.names()) expect(typeof jar.get(name)).toBe('string')
    }
    const jar = new CookieJar('__proto__=x; constructor=y')
    expect(jar.get('__proto__')).toBe('x')
    expect(jar.get('constructor')).toBe('y')
    expect(({} as Record<string, unknown>).x).toBeUndefined()
    expect(new CookieJar('a=%zz').get('a')).toBe('%zz')
  })
})

describe('setCookieLine', () => {
  it('defaults to HttpOnly, Secure, SameSite=Lax, Path=/ and no Max-Age or Domain', () => {
    expect(setCookieLine('n', 'v', {})).toBe('n=v; Path=/; HttpOnly; Secure; SameSite=Lax')
  })

  it('applies every attribute given', () => {
    expect(
      setCookieLine('n', 'v', {
        httpOnly: false,
        secure: false,
        sameSite: 'strict',
        path: '/app',
        domain: 'example.com',
        maxAge: 60,
      }),
    ).toBe('n=v; Max-Age=60; Domain=example.com; Path=/app; SameSite=Strict')
    expect(setCookieLine('n', 'v', { sameSite: 'none' })).toContain('; SameSite=None')
    expect(setCookieLine('n', 'v', { domain: undefined })).not.toContain('Domain')
  })

  it('writes Max-Age=0 for an expiry', () => {
    expect(setCookieLine('n', '', { maxAge: 0 })).toBe(
      'n=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
    )
  })

  it('leaves sealed (base64url, dot, star) values unencoded', () => {
    const value = `3*${noise(50)}.${noise(10, 2)}`
    expect(setCookieLine('n', value, {}).startsWith(`n=${value};`)).toBe(true)
  })

  it('refuses an invalid cookie name', () => {
    expect(() => setCookieLine('bad name', 'v', {})).toThrow()
    expect(() => setCookieLine('a;b', 'v', {})).toThrow()
  })
})

describe('CookieJar: Set-Cookie lines', () => {
  it('queues set and expire, the last call for a name winning', () => {
    const jar = new CookieJar('old=1')
    expect(jar.setCookieLines()).toEqual([])
    jar.set('a', '1', {})
    jar.set('b', '2', { maxAge: 10 })
    jar.set('a', '3', {})
    jar.expire('old', { path: '/' })
    expect(jar.isSet('a')).toBe(true)
    expect(jar.isSet('old')).toBe(true)
    expect(jar.isSet('c')).toBe(false)
    expect(jar.setCookieLines()).toEqual([
      'a=3; Path=/; HttpOnly; Secure; SameSite=Lax',
      'b=2; Max-Age=10; Path=/; HttpOnly; Secure; SameSite=Lax',
      'old=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
    ])
    // Response cookies do not change what the request carried.
    expect(jar.get('a')).toBeUndefined()
    expect(jar.get('old')).toBe('1')
  })

  it('expire overrides a maxAge in the attributes', () => {
    const jar = new CookieJar(undefined)
    jar.expire('a', { maxAge: 3600, path: '/x' })
    expect(jar.setCookieLines()).toEqual(['a=; Max-Age=0; Path=/x; HttpOnly; Secure; SameSite=Lax'])
  })

  it('appends every line to Headers as separate Set-Cookie values', () => {
    const jar = new CookieJar(undefined)
    jar.set('a', '1', {})
    jar.set('b', '2', {})
    const headers = new Headers({ 'content-type': 'text/plain' })
    expect(jar.applyTo(headers)).toBe(headers)
    expect(headers.getSetCookie()).toEqual(jar.setCookieLines())
    expect(headers.get('content-type')).toBe('text/plain')
  })
})
