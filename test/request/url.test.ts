import { describe, expect, it } from 'vitest'
import { isLoopbackHost, safeReturnTo } from '../../src/request/url.js'
import { noise } from '../fixtures/store-helpers.js'

const APP = 'https://app.example.com'

/** What a browser does with `Location: <target>` on a response from the app. */
function landsOn(target: string): string {
  return new URL(target, `${APP}/some/page`).origin
}

function expectSafe(result: string): void {
  expect(result.startsWith('/')).toBe(true)
  expect(result.startsWith('//')).toBe(false)
  expect(result).not.toMatch(/^\/\\/)
  // eslint-disable-next-line no-control-regex
  expect(result).not.toMatch(/[\u0000-\u001f\u007f]/)
  expect(landsOn(result)).toBe(APP)
}

describe('safeReturnTo accepts same-origin targets', () => {
  const cases: [string, string][] = [
    ['/', '/'],
    ['/orders', '/orders'],
    ['/orders?id=1&x=%2F', '/orders?id=1&x=%2F'],
    ['/a/b?c=d#section', '/a/b?c=d#section'],
    [`${APP}/x?y=1#z`, '/x?y=1#z'],
    [`${APP}`, '/'],
    [`${APP}:443/x`, '/x'],
    ['/caf%C3%A9', '/caf%C3%A9'],
    ['/café', '/caf%C3%A9'],
    ['/../x', '/x'],
    ['/a/./b/../c', '/a/c'],
  ]
  for (const [value, expected] of cases) {
    it(`${value} → ${expected}`, () => {
      const result = safeReturnTo(value, APP)
      expect(result).toBe(expected)
      expectSafe(result)
    })
  }

  it('keeps encoded slashes and backslashes encoded (a browser will not decode them)', () => {
    for (const value of ['/%2F%2Fevil.example', '/%2f/evil.example', '/%5C%5Cevil.example']) {
      const result = safeReturnTo(value, APP)
      expect(result).toBe(value)
      expectSafe(result)
    }
  })
})

describe('safeReturnTo refuses anything that could leave the origin', () => {
  const refused = [
    '//evil.example',
    '//evil.example/path',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '\\/evil.example',
    'https://evil.example',
    'https://evil.example/',
    `${APP}.evil.example/`,
    `${APP}@evil.example/`,
    'http://app.example.com/x',
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'https:evil.example',
    'https:/evil.example',
    '/.//evil.example',
    '/a/..//evil.example',
    '/%2e//evil.example',
    '/%2e%2e//evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\nSet-Cookie: x=1',
    '/x\u0000',
    '/x\u007f',
    ' /x',
    'orders',
    '?next=1',
    '#hash',
    '',
  ]
  for (const value of refused) {
    it(`refuses ${JSON.stringify(value)}`, () => {
      expect(safeReturnTo(value, APP)).toBe('/')
      expect(safeReturnTo(value, APP, '/home')).toBe('/home')
    })
  }

  it('refuses over-long values (more than 2048 characters)', () => {
    const ok = `/${'a'.repeat(2047)}`
    expect(safeReturnTo(ok, APP)).toBe(ok)
    expect(safeReturnTo(`/${'a'.repeat(2048)}`, APP)).toBe('/')
  })

  it('refuses non-strings', () => {
    for (const value of [undefined, null, 42, {}, ['/x'], new URL(`${APP}/x`)]) {
      expect(safeReturnTo(value, APP, '/fallback')).toBe('/fallback')
    }
  })

  it('refuses an https-app URL given as http, and the reverse', () => {
    expect(safeReturnTo('http://app.example.com/x', APP)).toBe('/')
    expect(safeReturnTo('https://localhost:3000/x', 'http://localhost:3000')).toBe('/')
    expect(safeReturnTo('http://localhost:3000/x', 'http://localhost:3000')).toBe('/x')
    expect(safeReturnTo('http://localhost:4000/x', 'http://localhost:3000')).toBe('/')
  })

  it('never returns a target that leaves the origin, whatever the input', () => {
    const pieces = [
      '/',
      '\\',
      '//',
      '.',
      '..',
      '%2F',
      '%5C',
      '%2e',
      'evil.example',
      ':',
      '@',
      '?',
      '#',
      'https:',
      APP,
      '\t',
      ' ',
      '%00',
      'é',
    ]
    let state = 7
    const pick = () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff
      return pieces[state % pieces.length] ?? ''
    }
    for (let i = 0; i < 2000; i++) {
      const length = 1 + (i % 6)
      const value = Array.from({ length }, pick).join('')
      expectSafe(safeReturnTo(value, APP))
    }
    for (let i = 0; i < 50; i++) expectSafe(safeReturnTo(`/${noise(30, i + 1)}`, APP))
  })
})

describe('isLoopbackHost', () => {
  it('recognises localhost, 127.0.0.0/8 and ::1', () => {
    for (const host of [
      'localhost',
      'LOCALHOST',
      'app.localhost',
      '127.0.0.1',
      '127.1.2.3',
      '127.255.255.255',
      '[::1]',
      '::1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true)
    }
  })

  it('refuses lookalikes and other addresses', () => {
    for (const host of [
      'localhost.evil.example',
      'evillocalhost',
      '127.0.0.1.nip.io',
      '127.0.0.256',
      '127.0.0',
      '128.0.0.1',
      '0.0.0.0',
      '10.0.0.1',
      '[::2]',
      '[::ffff:7f00:1]',
      'example.com',
      '',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false)
    }
  })

  it('agrees with the URL parser for hostnames it normalises', () => {
    expect(isLoopbackHost(new URL('http://127.1/').hostname)).toBe(true)
    expect(isLoopbackHost(new URL('http://[0:0:0:0:0:0:0:1]/').hostname)).toBe(true)
    expect(isLoopbackHost(new URL('http://LocalHost:80/').hostname)).toBe(true)
    expect(isLoopbackHost(new URL('http://0x7f000001/').hostname)).toBe(true)
  })
})
