/**
 * Recorded corpora, classified without a browser: the default headers of non-browser HTTP
 * clients (all API calls) and what Chromium sent in `test/browser/ajax-corpus.test.ts`.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { classifyRequest, type HeaderRecord } from 'oidc-session/ajax'

interface Entry {
  method: string
  url: string
  headers: HeaderRecord
}
interface Client extends Entry {
  name: string
  client: string
  recorded: boolean
  source?: string
}

const load = <T>(file: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/corpus/${file}`, import.meta.url), 'utf8')) as T

const nonBrowser = load<{ clients: Client[] }>('non-browser.json').clients
const chromium = load<{ requests: Record<string, Entry> }>('chromium.json').requests

describe('non-browser clients with their default headers are API calls', () => {
  it('the corpus holds the clients the issue names', () => {
    const names = nonBrowser.map((c) => c.name)
    for (const name of [
      'curl',
      'axios',
      'node-fetch',
      'python-requests',
      'python-urllib',
      'go-net-http',
    ])
      expect(names).toContain(name)
    // Only Go is documented rather than recorded, and says so.
    expect(nonBrowser.filter((c) => !c.recorded).map((c) => c.name)).toEqual(['go-net-http'])
    expect(nonBrowser.find((c) => !c.recorded)?.source).toMatch(/^NOT RECORDED/)
  })

  for (const entry of nonBrowser) {
    const label = `${entry.name}: ${entry.client}${entry.recorded ? '' : ' (documented, not recorded)'}`
    it(label, () => {
      const request = { url: entry.url, method: entry.method, headers: entry.headers }
      expect(classifyRequest(request).ajax).toBe(true)
      // The same answer from a Web Request and from bare headers.
      const headers = new Headers(entry.headers as Record<string, string>)
      expect(
        classifyRequest(
          new Request(`http://127.0.0.1${entry.url}`, { method: entry.method, headers }),
        ).ajax,
      ).toBe(true)
      if (entry.method === 'GET') expect(classifyRequest(headers).ajax).toBe(true)
    })
  }
})

const NAVIGATIONS = new Set(['typed-url', 'link', 'form-post', 'iframe'])

describe('recorded Chromium requests', () => {
  it('covers three origins and every kind of request', () => {
    expect(Object.keys(chromium).length).toBeGreaterThanOrEqual(48)
    for (const origin of ['127.0.0.1', 'localhost', 'proxy'])
      for (const kind of ['typed-url', 'form-post', 'img', 'event-source', 'websocket'])
        expect(chromium).toHaveProperty([`${origin}-${kind}`])
  })

  for (const [key, entry] of Object.entries(chromium)) {
    const kind = key.replace(/^(127\.0\.0\.1|localhost|proxy)-/, '')
    const navigation = NAVIGATIONS.has(kind)
    it(`${key} → ${navigation ? 'navigation' : 'API call'}`, () => {
      expect(classifyRequest(entry).ajax).toBe(!navigation)
    })
  }
})
