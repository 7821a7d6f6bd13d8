import { describe, expect, it } from 'vitest'
import type { HeaderRecord, HeadersInput, RequestLike } from '../../../src/request/headers.js'
import { classifyRequest, isAjax } from '../../../src/request/is-ajax.js'

const URL_ = 'https://app.example.com/orders'
const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'

/** The same headers as a Web Request, a Headers object and a Node-style record. */
function shapes(headers: Record<string, string>, method = 'GET'): [string, HeadersInput][] {
  const record: HeaderRecord = {}
  for (const [name, value] of Object.entries(headers)) record[name.toLowerCase()] = value
  const out: [string, HeadersInput][] = [
    [
      'Request',
      new Request(URL_, {
        method,
        headers,
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: '{}' }),
      }),
    ],
    ['RequestLike', { url: '/orders', method, headers: record } satisfies RequestLike],
  ]
  if (method === 'GET') {
    out.push(['Headers', new Headers(headers)], ['record', record])
  }
  return out
}

function expectEverywhere(
  headers: Record<string, string>,
  expected: { ajax: boolean; reason: string },
  method = 'GET',
): void {
  for (const [shape, input] of shapes(headers, method)) {
    expect(classifyRequest(input), `${shape} ${JSON.stringify(headers)}`).toEqual(expected)
    expect(isAjax(input)).toBe(expected.ajax)
  }
}

describe('classifyRequest: Fetch Metadata', () => {
  it('treats navigate with a document-like destination as a navigation', () => {
    for (const dest of ['document', 'iframe', 'frame', 'embed', 'object']) {
      expectEverywhere(
        { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': dest, Accept: 'application/json' },
        { ajax: false, reason: 'fetch-metadata-navigation' },
      )
    }
    expectEverywhere(
      { 'Sec-Fetch-Mode': 'navigate' },
      { ajax: false, reason: 'fetch-metadata-navigation' },
    )
  })

  it('treats cors, no-cors, same-origin and websocket modes as API calls', () => {
    for (const mode of ['cors', 'no-cors', 'same-origin', 'websocket']) {
      expectEverywhere(
        { 'Sec-Fetch-Mode': mode, 'Sec-Fetch-Dest': 'empty', Accept: BROWSER_ACCEPT },
        { ajax: true, reason: 'fetch-metadata-subresource' },
      )
    }
  })

  it('treats navigate with a non-document destination as an API call', () => {
    expectEverywhere(
      { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'empty' },
      { ajax: true, reason: 'fetch-metadata-subresource' },
    )
  })

  it('outranks every later signal', () => {
    expectEverywhere(
      {
        'Sec-Fetch-Mode': 'navigate',
        'Sec-Fetch-Dest': 'document',
        'X-Requested-With': 'XMLHttpRequest',
        Authorization: 'Bearer x',
      },
      { ajax: false, reason: 'fetch-metadata-navigation' },
    )
  })

  it('is case-insensitive in values', () => {
    expectEverywhere(
      { 'Sec-Fetch-Mode': 'NAVIGATE', 'Sec-Fetch-Dest': 'Document' },
      { ajax: false, reason: 'fetch-metadata-navigation' },
    )
  })
})

describe('classifyRequest: other signals', () => {
  it('recognises X-Requested-With: XMLHttpRequest in any case', () => {
    for (const value of [
      'XMLHttpRequest',
      'xmlhttprequest',
      'XMLHTTPREQUEST',
      ' XMLHttpRequest ',
    ]) {
      expectEverywhere(
        { 'X-Requested-With': value, Accept: BROWSER_ACCEPT },
        { ajax: true, reason: 'x-requested-with' },
      )
    }
    // Another value (an Android WebView sends its package name) is no signal.
    expectEverywhere(
      { 'X-Requested-With': 'com.example.app', Accept: BROWSER_ACCEPT },
      { ajax: false, reason: 'accept-html' },
    )
  })

  it('recognises HX-Request: true (htmx)', () => {
    expectEverywhere(
      { 'HX-Request': 'true', Accept: BROWSER_ACCEPT },
      { ajax: true, reason: 'htmx' },
    )
    expectEverywhere({ 'HX-Request': 'false' }, { ajax: false, reason: 'default' })
  })

  it('recognises a Bearer authorization, not Basic', () => {
    expectEverywhere(
      { Authorization: 'Bearer abc.def', Accept: BROWSER_ACCEPT },
      { ajax: true, reason: 'bearer' },
    )
    expectEverywhere({ Authorization: 'bearer abc' }, { ajax: true, reason: 'bearer' })
    expectEverywhere({ Authorization: 'Basic dXNlcjpwYXNz' }, { ajax: false, reason: 'default' })
    expectEverywhere({ Authorization: 'Bearer' }, { ajax: false, reason: 'default' })
  })

  it('recognises Upgrade: websocket', () => {
    expectEverywhere(
      { Upgrade: 'WebSocket', Connection: 'Upgrade' },
      { ajax: true, reason: 'websocket' },
    )
  })

  it('treats a JSON body on a non-GET as an API call', () => {
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/vnd.api+json',
      'application/merge-patch+json',
    ]) {
      expectEverywhere(
        { 'Content-Type': type, Accept: BROWSER_ACCEPT },
        { ajax: true, reason: 'json-body' },
        'POST',
      )
    }
    expectEverywhere(
      { 'Content-Type': 'application/json' },
      { ajax: true, reason: 'json-body' },
      'DELETE',
    )
  })

  it('ignores a JSON content type on GET and a form body on POST', () => {
    expectEverywhere({ 'Content-Type': 'application/json' }, { ajax: false, reason: 'default' })
    expectEverywhere(
      { 'Content-Type': 'application/x-www-form-urlencoded', Accept: BROWSER_ACCEPT },
      { ajax: false, reason: 'accept-html' },
      'POST',
    )
  })
})

describe('classifyRequest: Accept with q-values', () => {
  const cases: [string, boolean, string][] = [
    [BROWSER_ACCEPT, false, 'accept-html'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', false, 'accept-html'],
    ['application/json', true, 'accept-json'],
    ['application/json, text/plain, */*', true, 'accept-json'],
    ['*/*', true, 'accept-json'],
    ['application/json;q=0.5, text/html', false, 'accept-html'],
    ['text/html;q=0.1, application/json', true, 'accept-json'],
    ['text/html;q=0.5, application/json;q=0.5', false, 'accept-html'],
    ['text/html;q=0, application/json', true, 'accept-json'],
    ['text/html;q=0, */*', true, 'accept-json'],
    ['text/event-stream', true, 'accept-json'],
    ['application/problem+json', true, 'accept-json'],
    ['application/xhtml+xml', false, 'accept-html'],
    ['TEXT/HTML', false, 'accept-html'],
    ['image/png', false, 'default'],
    ['application/json;q=0', false, 'default'],
    ['application/json;q=abc', false, 'default'],
    ['application/json;q=2', false, 'default'],
    [', ,', false, 'default'],
  ]
  for (const [accept, ajax, reason] of cases) {
    it(`Accept: ${accept} → ${ajax ? 'API' : 'navigation'}`, () => {
      expectEverywhere({ Accept: accept }, { ajax, reason })
    })
  }
})

describe('classifyRequest: overrides and defaults', () => {
  it('answers navigation (default) when there is no signal at all', () => {
    expect(classifyRequest({})).toEqual({ ajax: false, reason: 'default' })
    expect(classifyRequest(new Headers())).toEqual({ ajax: false, reason: 'default' })
    expect(classifyRequest(new Request(URL_))).toEqual({ ajax: false, reason: 'default' })
    expect(classifyRequest({ url: '/', headers: {} })).toEqual({ ajax: false, reason: 'default' })
    expect(isAjax({})).toBe(false)
  })

  it('follows defaultAjax when there is no signal', () => {
    expect(classifyRequest({}, { defaultAjax: true })).toEqual({ ajax: true, reason: 'default' })
    expect(classifyRequest({ accept: 'text/html' }, { defaultAjax: true }).ajax).toBe(false)
  })

  it('treats ajaxPaths (prefixes and regular expressions) as API calls', () => {
    const options = { ajaxPaths: ['/api/', /^\/v\d+\//] }
    const navigation = { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' }
    expect(
      classifyRequest(
        new Request('https://app.example.com/api/me', { headers: navigation }),
        options,
      ),
    ).toEqual({ ajax: true, reason: 'path' })
    expect(classifyRequest({ url: '/v2/orders?x=1', headers: navigation }, options)).toEqual({
      ajax: true,
      reason: 'path',
    })
    expect(classifyRequest({ url: '/apix', headers: navigation }, options).reason).toBe(
      'fetch-metadata-navigation',
    )
    // The query string is not the path.
    expect(classifyRequest({ url: '/page?next=/api/', headers: navigation }, options).ajax).toBe(
      false,
    )
    // Without a URL (bare headers) paths cannot match.
    expect(classifyRequest(new Headers(navigation), options).ajax).toBe(false)
  })

  it('lets a predicate decide first, or defer with undefined', () => {
    const seen: HeadersInput[] = []
    const predicate = (input: HeadersInput) => {
      seen.push(input)
      return (input as { url?: string }).url?.endsWith('/decide-true')
        ? true
        : (input as { url?: string }).url?.endsWith('/decide-false')
          ? false
          : undefined
    }
    const json = { accept: 'application/json' }
    expect(classifyRequest({ url: '/decide-false', headers: json }, { predicate })).toEqual({
      ajax: false,
      reason: 'predicate',
    })
    expect(
      classifyRequest({ url: '/decide-true', headers: {} }, { predicate, ajaxPaths: ['/'] }),
    ).toEqual({ ajax: true, reason: 'predicate' })
    expect(classifyRequest({ url: '/other', headers: json }, { predicate })).toEqual({
      ajax: true,
      reason: 'accept-json',
    })
    expect(seen).toHaveLength(3)
  })
})

describe('classifyRequest: Node-style header records', () => {
  it('reads header names case-insensitively', () => {
    expect(classifyRequest({ 'X-Requested-With': 'XMLHttpRequest' })).toEqual({
      ajax: true,
      reason: 'x-requested-with',
    })
    expect(classifyRequest({ ACCEPT: 'application/json' }).ajax).toBe(true)
  })

  it('joins array values before reading them', () => {
    expect(classifyRequest({ accept: ['text/html', 'application/xhtml+xml'] })).toEqual({
      ajax: false,
      reason: 'accept-html',
    })
    expect(classifyRequest({ accept: ['application/json;q=0.5', 'text/html'] }).ajax).toBe(false)
    expect(classifyRequest({ accept: ['text/html;q=0.1', 'application/json'] }).ajax).toBe(true)
    expect(classifyRequest({ 'x-requested-with': ['XMLHttpRequest'] }).ajax).toBe(true)
  })

  it('ignores undefined values', () => {
    expect(classifyRequest({ accept: undefined, 'sec-fetch-mode': undefined })).toEqual({
      ajax: false,
      reason: 'default',
    })
  })

  it('uses the method of a request-like object', () => {
    const headers = { 'content-type': 'application/json' }
    expect(classifyRequest({ url: '/x', method: 'post', headers }).reason).toBe('json-body')
    expect(classifyRequest({ url: '/x', method: 'HEAD', headers }).reason).toBe('default')
    expect(classifyRequest({ url: '/x', headers }).reason).toBe('default')
  })
})
