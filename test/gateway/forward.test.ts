/**
 * `auth.forward()` at its edges: the request target cannot leave the upstream's prefix or host,
 * options are validated, identity and forwarding headers follow the options, bodiless answers
 * stay bodiless.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent } from '../fixtures/agent.js'
import type { TestProvider } from '../fixtures/provider.js'
import { startApp, startBedProvider, startUpstream, type App, type Upstream } from './support.js'

const JSON_API = { accept: 'application/json' }

let provider: TestProvider
let upstream: Upstream
let app: App
let cookie: string

beforeAll(async () => {
  provider = await startBedProvider()
  upstream = await startUpstream(provider)
  app = await startApp(provider, `${upstream.url}/base`)
  const agent = new Agent()
  await agent.login(`${app.url}/login?returnTo=/`, { username: 'alice' })
  cookie = agent.jar.header(app.url)
})
afterAll(async () => {
  await app?.close()
  await upstream?.close()
  await provider?.close()
})

/** A Node-style request-like: the raw request target, as `IncomingMessage.url` carries it. */
const raw = (url: string, headers: Record<string, string> = {}, method = 'GET') => ({
  url,
  method,
  headers: { ...JSON_API, cookie, ...headers },
})

describe('the request target', () => {
  it.each([
    ['/a/../../../etc/passwd', '/base/etc/passwd'],
    ['/a/%2e%2e/%2E%2E/x', '/base/x'],
    ['//evil.example/x?y=1', '/base//evil.example/x?y=1'],
    ['/p%2Fq/%7Euser?a=%26&a=2&b', '/base/p%2Fq/%7Euser?a=%26&a=2&b'],
  ])('%s reaches the upstream as %s', async (target, expected) => {
    const res = await app.auth.forward(raw(target), `${upstream.url}/base`)
    expect(res.status).toBe(200)
    const seen = upstream.seen.at(-1)!
    expect(seen.url).toBe(expected)
    expect(seen.headers.host).toBe(`127.0.0.1:${upstream.port}`)
  })

  it('an upstream without a path prefix gets the path as is', async () => {
    await app.auth.forward(raw('/x/y?z'), upstream.url)
    expect(upstream.seen.at(-1)!.url).toBe('/x/y?z')
  })
})

describe('options', () => {
  it.each([
    ['ftp://127.0.0.1/', {}],
    ['not a url', {}],
    ['http://api.example.com/', {}],
    ['http://127.0.0.1:1/?q=1', {}],
    ['http://user:pw@127.0.0.1:1/', {}],
    ['http://127.0.0.1:1/', { timeoutMs: 0 }],
    ['http://127.0.0.1:1/', { clientAddress: 1 }],
    ['http://127.0.0.1:1/', { resource: 'https://api.example.test' }], // not configured
  ])('refuses %s with %o (TypeError, before any request)', async (upstreamUrl, options) => {
    const before = upstream.seen.length
    await expect(app.auth.forward(raw('/'), upstreamUrl, options as never)).rejects.toMatchObject({
      name: 'TypeError',
      code: expect.stringMatching(/^ERR_INVALID_ARG_/),
    })
    expect(upstream.seen.length).toBe(before)
  })

  it('allowInsecureRequests lets a plain-HTTP upstream off loopback through validation', async () => {
    const res = await app.auth.forward(raw('/'), 'http://0.0.0.0:1/', {
      allowInsecureRequests: true,
      timeoutMs: 2_000,
    })
    expect(res.status).toBe(502)
  })

  it('identityHeaders: false sends no identity, and still removes what the client sent', async () => {
    await app.auth.forward(
      raw('/who', { 'x-forwarded-user': 'mallory', 'x-forwarded-email': 'm@evil.example' }),
      upstream.url,
      { identityHeaders: false },
    )
    const seen = upstream.seen.at(-1)!
    expect(seen.headers['x-forwarded-user']).toBeUndefined()
    expect(seen.headers['x-forwarded-email']).toBeUndefined()
  })

  it('X-Forwarded-For: replaced by clientAddress, or appended to with trustForwardedFor', async () => {
    const spoofed = { 'x-forwarded-for': '203.0.113.9' }
    await app.auth.forward(raw('/', spoofed), upstream.url, { clientAddress: '192.0.2.1' })
    expect(upstream.seen.at(-1)!.headers['x-forwarded-for']).toBe('192.0.2.1')
    await app.auth.forward(raw('/', spoofed), upstream.url, {
      clientAddress: '192.0.2.1',
      trustForwardedFor: true,
    })
    expect(upstream.seen.at(-1)!.headers['x-forwarded-for']).toBe('203.0.113.9, 192.0.2.1')
    await app.auth.forward(raw('/', spoofed), upstream.url)
    expect(upstream.seen.at(-1)!.headers['x-forwarded-for']).toBeUndefined()
  })
})

describe('answers', () => {
  it('HEAD and 204 answers stay bodiless; headers come through', async () => {
    const head = await app.auth.forward(raw('/x', {}, 'HEAD'), upstream.url)
    expect(head.status).toBe(200)
    expect(head.headers.get('x-upstream')).toBe('yes')
    expect(head.body).toBeNull()
    const empty = await app.auth.forward(raw('/no-content'), upstream.url)
    expect(empty.status).toBe(204)
    expect(empty.body).toBeNull()
  })

  it('a request body given as a string (a request-like from a framework) is forwarded', async () => {
    const res = await app.auth.forward(
      { ...raw('/upload', { 'content-type': 'text/plain' }, 'POST'), body: 'hello' },
      upstream.url,
    )
    expect(res.status).toBe(200)
    expect(upstream.seen.at(-1)).toMatchObject({ method: 'POST', bodyBytes: 5 })
  })

  it('without a session: the protect() answer, nothing forwarded', async () => {
    const before = upstream.seen.length
    const res = await app.auth.forward({ url: '/x', headers: JSON_API }, upstream.url)
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: 'unauthorized' })
    expect(upstream.seen.length).toBe(before)
  })
})
