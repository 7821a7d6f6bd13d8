/**
 * `classifyRequest` / `isAjax`: every signal, in its order, on every input shape (Web `Request`,
 * request-like object, `Headers`, Node-style header record), and the edge cases that decide
 * between a 401 and a redirect to an HTML login page.
 */
import { describe, expect, it } from 'vitest'
import {
  classifyRequest,
  isAjax,
  type AjaxReason,
  type HeaderRecord,
  type HeadersInput,
} from 'oidc-session/ajax'

const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'

/** The same request as a Web Request, a request-like object, and (GET only) bare headers. */
function shapes(headers: Record<string, string>, method = 'GET'): [string, HeadersInput][] {
  const record: HeaderRecord = {}
  for (const [name, value] of Object.entries(headers)) record[name.toLowerCase()] = value
  const body = method === 'GET' || method === 'HEAD' ? {} : { body: '{}' }
  const out: [string, HeadersInput][] = [
    ['Request', new Request('https://app.example/orders', { method, headers, ...body })],
    ['request-like', { url: '/orders', method, headers: record }],
    ['request-like, original case', { url: '/orders', method, headers: { ...headers } }],
  ]
  if (method === 'GET') out.push(['Headers', new Headers(headers)], ['record', record])
  return out
}

function expectEverywhere(
  headers: Record<string, string>,
  ajax: boolean,
  reason: AjaxReason,
  method = 'GET',
): void {
  for (const [shape, input] of shapes(headers, method)) {
    expect(classifyRequest(input), `${shape} ${JSON.stringify(headers)}`).toEqual({ ajax, reason })
    expect(isAjax(input)).toBe(ajax)
  }
}

const NAVIGATE = { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' }

describe('Fetch Metadata', () => {
  it('navigate to a page-like destination is a navigation, whatever Accept says', () => {
    for (const dest of ['document', 'iframe', 'frame', 'fencedframe', 'embed', 'object'])
      expectEverywhere(
        { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': dest, Accept: 'application/json' },
        false,
        'fetch-metadata-navigation',
      )
    expectEverywhere({ 'Sec-Fetch-Mode': 'navigate' }, false, 'fetch-metadata-navigation')
  })

  it('navigate with Sec-Fetch-Dest: empty is not a page load: 401, not a redirect', () => {
    expectEverywhere(
      { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'empty', Accept: BROWSER_ACCEPT },
      true,
      'fetch-metadata-subresource',
    )
  })

  it('cors, no-cors (<img>, <script>), same-origin and websocket are API calls', () => {
    const requests: [string, string][] = [
      ['cors', 'empty'],
      ['no-cors', 'image'],
      ['no-cors', 'script'],
      ['no-cors', 'style'],
      ['same-origin', 'empty'],
      ['same-origin', 'serviceworker'],
      ['websocket', 'websocket'],
    ]
    for (const [mode, dest] of requests)
      expectEverywhere(
        { 'Sec-Fetch-Mode': mode, 'Sec-Fetch-Dest': dest, Accept: BROWSER_ACCEPT },
        true,
        'fetch-metadata-subresource',
      )
  })

  it('EventSource (cors + text/event-stream) is an API call', () => {
    expectEverywhere(
      { 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Dest': 'empty', Accept: 'text/event-stream' },
      true,
      'fetch-metadata-subresource',
    )
  })

  it('a form POST navigation is a navigation', () => {
    expectEverywhere(
      { ...NAVIGATE, 'Content-Type': 'application/x-www-form-urlencoded', Accept: BROWSER_ACCEPT },
      false,
      'fetch-metadata-navigation',
      'POST',
    )
  })

  it('outranks every later signal, and its values are case-insensitive', () => {
    expectEverywhere(
      { ...NAVIGATE, 'X-Requested-With': 'XMLHttpRequest', Authorization: 'Bearer x' },
      false,
      'fetch-metadata-navigation',
    )
    expectEverywhere(
      { 'Sec-Fetch-Mode': 'NAVIGATE', 'Sec-Fetch-Dest': ' Document ' },
      false,
      'fetch-metadata-navigation',
    )
  })
})

describe('prefetch and prerender', () => {
  it('Sec-Purpose: prefetch (and prefetch;prerender) is never a navigation', () => {
    for (const purpose of ['prefetch', 'prefetch;prerender', 'prefetch;anonymous-client-ip'])
      expectEverywhere({ ...NAVIGATE, 'Sec-Purpose': purpose }, true, 'prefetch')
  })

  it('legacy Purpose: prefetch, without Fetch Metadata', () => {
    expectEverywhere({ Purpose: 'prefetch', Accept: BROWSER_ACCEPT }, true, 'prefetch')
  })

  it('another purpose is no signal', () => {
    expectEverywhere({ ...NAVIGATE, 'Sec-Purpose': 'other' }, false, 'fetch-metadata-navigation')
  })
})

describe('signals without Fetch Metadata', () => {
  it('X-Requested-With: XMLHttpRequest in any case; other values are no signal', () => {
    for (const value of ['XMLHttpRequest', 'xmlhttprequest', 'XMLHTTPREQUEST', ' XMLHttpRequest '])
      expectEverywhere(
        { 'X-Requested-With': value, Accept: BROWSER_ACCEPT },
        true,
        'x-requested-with',
      )
    // Android WebViews send their package name on navigations.
    expectEverywhere(
      { 'X-Requested-With': 'com.example.app', Accept: BROWSER_ACCEPT },
      false,
      'accept-html',
    )
  })

  it('HX-Request: true (htmx)', () => {
    expectEverywhere({ 'HX-Request': 'true', Accept: BROWSER_ACCEPT }, true, 'htmx')
    expectEverywhere({ 'HX-Request': 'false', Accept: BROWSER_ACCEPT }, false, 'accept-html')
  })

  it('Authorization: Bearer <token>, not Basic, not an empty Bearer', () => {
    expectEverywhere({ Authorization: 'Bearer abc.def', Accept: BROWSER_ACCEPT }, true, 'bearer')
    expectEverywhere({ Authorization: 'bearer abc' }, true, 'bearer')
    expectEverywhere(
      { Authorization: 'Basic dXNlcjpwYXNz', Accept: BROWSER_ACCEPT },
      false,
      'accept-html',
    )
    expectEverywhere({ Authorization: 'Bearer', Accept: BROWSER_ACCEPT }, false, 'accept-html')
  })

  it('a JSON Content-Type on a non-GET/HEAD method', () => {
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/vnd.api+json',
      'application/merge-patch+json',
    ])
      expectEverywhere({ 'Content-Type': type, Accept: BROWSER_ACCEPT }, true, 'json-body', 'POST')
    expectEverywhere({ 'Content-Type': 'application/json' }, true, 'json-body', 'DELETE')
    // On GET it is no signal; a form body is none either.
    expectEverywhere(
      { 'Content-Type': 'application/json', Accept: BROWSER_ACCEPT },
      false,
      'accept-html',
    )
    expectEverywhere(
      { 'Content-Type': 'application/x-www-form-urlencoded', Accept: BROWSER_ACCEPT },
      false,
      'accept-html',
      'POST',
    )
  })

  it('Upgrade: websocket', () => {
    expectEverywhere({ Upgrade: 'WebSocket', Connection: 'Upgrade' }, true, 'websocket')
  })
})

describe('Accept with q-values (no Fetch Metadata)', () => {
  const cases: [string, boolean, AjaxReason][] = [
    [BROWSER_ACCEPT, false, 'accept-html'],
    ['text/html', false, 'accept-html'],
    ['TEXT/HTML', false, 'accept-html'],
    ['application/xhtml+xml', false, 'accept-html'],
    ['application/json;q=0.5, text/html', false, 'accept-html'],
    ['text/html;q=0.5, application/json;q=0.5', false, 'accept-html'],
    ['text/html, */*;q=0.1', false, 'accept-html'],
    ['application/json', true, 'accept-json'],
    ['application/json, text/plain, */*', true, 'accept-json'],
    ['application/problem+json', true, 'accept-json'],
    ['text/event-stream', true, 'accept-json'],
    ['text/html;q=0.1, application/json', true, 'accept-json'],
    ['text/html;q=0, application/json', true, 'accept-json'],
    ['text/html;q=0, */*', true, 'accept-json'],
    ['*/*', true, 'accept-json'],
    ['image/avif,image/webp,image/*,*/*;q=0.8', true, 'accept-json'],
    ['text/css,*/*;q=0.1', true, 'accept-json'],
    ['image/png', true, 'default'],
    ['application/json;q=0', true, 'default'],
    ['text/html;q=abc', true, 'default'],
    ['text/html;q=2', true, 'default'],
    [', ,', true, 'default'],
  ]
  for (const [accept, ajax, reason] of cases)
    it(`Accept: ${accept} → ${ajax ? 'API call' : 'navigation'} (${reason})`, () => {
      expectEverywhere({ Accept: accept }, ajax, reason)
    })
})

describe('no signal at all', () => {
  it('is an API call by default: browsers always send Accept on a navigation', () => {
    expect(classifyRequest({})).toEqual({ ajax: true, reason: 'default' })
    expect(classifyRequest(new Headers())).toEqual({ ajax: true, reason: 'default' })
    expect(classifyRequest(new Request('https://app.example/'))).toEqual({
      ajax: true,
      reason: 'default',
    })
    expect(
      classifyRequest({ 'user-agent': 'Go-http-client/1.1', 'accept-encoding': 'gzip' }),
    ).toEqual({
      ajax: true,
      reason: 'default',
    })
  })

  it('follows defaultAjax: false, and only when nothing else decided', () => {
    expect(classifyRequest({}, { defaultAjax: false })).toEqual({ ajax: false, reason: 'default' })
    expect(classifyRequest({ accept: '*/*' }, { defaultAjax: false }).ajax).toBe(true)
  })
})

describe('overrides', () => {
  it('ajaxPaths: prefixes and regular expressions on the path (not the query)', () => {
    const options = { ajaxPaths: ['/api/', /^\/v\d+\//] }
    const nav = { ...NAVIGATE, accept: BROWSER_ACCEPT }
    expect(
      classifyRequest(new Request('https://app.example/api/me', { headers: nav }), options),
    ).toEqual({ ajax: true, reason: 'path' })
    expect(classifyRequest({ url: '/v2/orders?x=1', headers: nav }, options).reason).toBe('path')
    expect(classifyRequest({ url: '/apix', headers: nav }, options).ajax).toBe(false)
    expect(classifyRequest({ url: '/page?next=/api/', headers: nav }, options).ajax).toBe(false)
    // Bare headers have no path: the signals decide.
    expect(classifyRequest(new Headers(nav), options).ajax).toBe(false)
  })

  it('a predicate decides first, or defers with undefined', () => {
    const seen: string[] = []
    const predicate = (input: HeadersInput) => {
      const url = (input as { url?: string }).url ?? ''
      seen.push(url)
      return url === '/yes' ? true : url === '/no' ? false : undefined
    }
    const json = { accept: 'application/json' }
    expect(classifyRequest({ url: '/no', headers: json }, { predicate })).toEqual({
      ajax: false,
      reason: 'predicate',
    })
    expect(classifyRequest({ url: '/yes', headers: NAVIGATE }, { predicate })).toEqual({
      ajax: true,
      reason: 'predicate',
    })
    expect(classifyRequest({ url: '/other', headers: json }, { predicate })).toEqual({
      ajax: true,
      reason: 'accept-json',
    })
    expect(seen).toEqual(['/no', '/yes', '/other'])
  })
})

describe('Node-style header records', () => {
  it('join repeated values before reading them, and ignore undefined ones', () => {
    expect(classifyRequest({ accept: ['text/html', 'application/xhtml+xml'] }).reason).toBe(
      'accept-html',
    )
    expect(classifyRequest({ accept: ['application/json;q=0.5', 'text/html'] }).ajax).toBe(false)
    expect(classifyRequest({ accept: ['text/html;q=0.1', 'application/json'] }).ajax).toBe(true)
    expect(classifyRequest({ 'x-requested-with': ['XMLHttpRequest'] }).reason).toBe(
      'x-requested-with',
    )
    expect(classifyRequest({ accept: undefined, 'sec-fetch-mode': undefined })).toEqual({
      ajax: true,
      reason: 'default',
    })
  })

  it('use the method of a request-like object (default GET)', () => {
    const headers = { 'content-type': 'application/json', accept: 'text/html' }
    expect(classifyRequest({ url: '/x', method: 'post', headers }).reason).toBe('json-body')
    expect(classifyRequest({ url: '/x', method: 'HEAD', headers }).reason).toBe('accept-html')
    expect(classifyRequest({ url: '/x', headers }).reason).toBe('accept-html')
  })

  it('a malformed URL does not throw (paths simply cannot match)', () => {
    expect(
      classifyRequest({ url: 'http://[bad', headers: NAVIGATE }, { ajaxPaths: ['/'] }),
    ).toEqual({ ajax: false, reason: 'fetch-metadata-navigation' })
  })
})

describe('regressions', () => {
  it('a global RegExp in ajaxPaths answers the same every time', () => {
    const options = { ajaxPaths: [/^\/api\//g] }
    expect([1, 2, 3].map(() => isAjax({ url: '/api/me', headers: {} }, options))).toEqual([
      true,
      true,
      true,
    ])
  })
})
