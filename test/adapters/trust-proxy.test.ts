/**
 * Behind a proxy: the redirect URI, the redirects and the same-origin checks come from the
 * configured app origin — a spoofed `Host` / `X-Forwarded-*` / `Forwarded` changes nothing — unless
 * the app opts in with `trustProxy`, and then the forwarded origin is used (only an allowed one).
 * End to end through a real reverse proxy in front of the node:http example.
 */
import { createServer, request as httpRequest, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOidcSession, type OidcSession, type OidcSessionConfig } from 'oidc-session'
import { createApp } from '../../examples/node/app.js'
import { Agent } from '../fixtures/agent.js'
import { freePort, startProvider, type TestProvider } from '../fixtures/provider.js'
import { serveNode } from '../examples/scenario.js'

const SECRET = 'trust-proxy-secret-trust-proxy-secret-0123456'
const API = { accept: 'application/json' }
const NAV = { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }
/** What an attacker (or a misconfigured proxy) puts in front of a request. */
const SPOOFED = {
  host: 'evil.example',
  'x-forwarded-host': 'evil.example',
  'x-forwarded-proto': 'https',
  forwarded: 'proto=https;host=evil.example',
}

let provider: TestProvider
let appPort: number
let appOrigin: string

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
  appPort = await freePort()
  appOrigin = `http://127.0.0.1:${appPort}`
})

afterAll(async () => {
  await provider?.close()
})

function authWith(extra: Partial<OidcSessionConfig> = {}, origin = appOrigin): OidcSession {
  return createOidcSession({
    issuer: provider.issuer,
    client: { id: 'app', secret: 'app-secret-for-tests-only-0123456789abcdef' },
    redirectUri: `${origin}/callback`,
    secrets: [SECRET],
    ...extra,
  })
}

const get = (path: string, headers: Record<string, string>) =>
  new Request(`${appOrigin}${path}`, { headers })

describe('without trustProxy (the default)', () => {
  const auth = () => authWith()

  it('keeps the configured redirect URI whatever Host and X-Forwarded-* say', async () => {
    const login = await auth().handler(get('/login?returnTo=/x', SPOOFED))
    expect(login?.status).toBe(302)
    const location = new URL(login!.headers.get('location')!)
    expect(location.searchParams.get('redirect_uri')).toBe(`${appOrigin}/callback`)
  })

  it('builds failure redirects and login_url returns on the configured origin', async () => {
    const nav = await auth().protect(get('/orders?id=1', { ...SPOOFED, ...NAV }))
    expect(nav.ok).toBe(false)
    expect(nav.response?.headers.get('location')).toBe(
      `${appOrigin}/login?returnTo=%2Forders%3Fid%3D1`,
    )
    // A Referer on the spoofed origin is not a page of this app.
    const api = await auth().protect(
      get('/api/me', { ...SPOOFED, ...API, referer: 'https://evil.example/a' }),
    )
    expect(await api.response?.json()).toMatchObject({ login_url: '/login?returnTo=%2Fapi%2Fme' })
  })

  it('refuses a logout whose Origin is the spoofed one', async () => {
    const response = await auth().handler(
      new Request(`${appOrigin}/logout`, {
        method: 'POST',
        headers: { ...SPOOFED, ...API, origin: 'https://evil.example' },
      }),
    )
    expect(response?.status).toBe(403)
  })
})

describe('trustProxy: an allow-list of origins', () => {
  const auth = () => authWith({ trustProxy: ['https://app.example.com'] })
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' }

  it('uses a listed forwarded origin for the redirect URI, redirects and same-origin checks', async () => {
    const login = await auth().handler(get('/login', forwarded))
    const location = new URL(login!.headers.get('location')!)
    expect(location.searchParams.get('redirect_uri')).toBe('https://app.example.com/callback')

    const nav = await auth().protect(get('/orders', { ...forwarded, ...NAV }))
    expect(nav.response?.headers.get('location')).toBe(
      'https://app.example.com/login?returnTo=%2Forders',
    )
    const api = await auth().protect(
      get('/api/me', { ...forwarded, ...API, referer: 'https://app.example.com/orders?id=2' }),
    )
    expect(await api.response?.json()).toMatchObject({
      login_url: '/login?returnTo=%2Forders%3Fid%3D2',
    })
    const logout = await auth().handler(
      new Request(`${appOrigin}/logout`, {
        method: 'POST',
        headers: { ...forwarded, origin: 'https://app.example.com' },
      }),
    )
    expect(logout?.status).toBe(302)
    // The post-logout URI (the default one, on the configured origin) follows the request.
    expect(
      new URL(logout!.headers.get('location')!).searchParams.get('post_logout_redirect_uri'),
    ).toBe('https://app.example.com/')
  })

  it('reads RFC 7239 Forwarded, its last element (the one the proxy added)', async () => {
    const login = await auth().handler(
      get('/login', {
        forwarded: 'host=evil.example;proto=https, proto=https;host="app.example.com"',
      }),
    )
    const location = new URL(login!.headers.get('location')!)
    expect(location.searchParams.get('redirect_uri')).toBe('https://app.example.com/callback')
  })

  it('answers an unlisted or malformed forwarded origin from the configured one', async () => {
    for (const headers of [
      SPOOFED,
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com/evil' },
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'user@app.example.com' },
      { 'x-forwarded-proto': 'javascript', 'x-forwarded-host': 'app.example.com' },
    ]) {
      const login = await auth().handler(get('/login', headers))
      const location = new URL(login!.headers.get('location')!)
      expect(location.searchParams.get('redirect_uri')).toBe(`${appOrigin}/callback`)
    }
  })
})

describe('trustProxy: true', () => {
  it('uses any forwarded origin, but never http: when the cookies are Secure', async () => {
    const open = authWith({ trustProxy: true })
    const login = await open.handler(get('/login', SPOOFED))
    expect(new URL(login!.headers.get('location')!).searchParams.get('redirect_uri')).toBe(
      'https://evil.example/callback',
    )

    // An https app (Secure cookies): a forwarded plain-HTTP origin is not used.
    const secure = authWith({ trustProxy: true }, 'https://app.example.com')
    const plain = await secure.protect(
      get('/x', { ...NAV, 'x-forwarded-proto': 'http', 'x-forwarded-host': 'other.example' }),
    )
    expect(plain.response?.headers.get('location')).toBe(
      'https://app.example.com/login?returnTo=%2Fx',
    )
    const tls = await secure.protect(
      get('/x', { ...NAV, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'other.example' }),
    )
    expect(tls.response?.headers.get('location')).toBe('https://other.example/login?returnTo=%2Fx')
  })
})

describe('trustProxy validation', () => {
  const attempt = (trustProxy: unknown, origin?: string) => () =>
    authWith({ trustProxy: trustProxy as boolean }, origin)

  it('throws TypeError with a stable code for bad values', () => {
    expect(attempt('yes')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }))
    expect(attempt(['not a url'])).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    )
    expect(attempt(['https://a.example/path'])).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    )
    expect(attempt(['http://a.example'], 'https://app.example.com')).toThrow(
      /must be https: the cookies are Secure/,
    )
    expect(attempt(['https://a.example', new URL('https://b.example')])).not.toThrow()
  })
})

/** A reverse proxy on `port` that forwards to `target`, setting X-Forwarded-Proto/Host itself. */
function reverseProxy(target: number): Server {
  return createServer((req, res) => {
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: target,
        method: req.method,
        path: req.url,
        headers: {
          ...req.headers,
          'x-forwarded-proto': 'http',
          'x-forwarded-host': req.headers.host ?? '',
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
}

describe('end to end behind a reverse proxy (node:http example)', () => {
  let proxyOrigin: string
  const closers: (() => Promise<void>)[] = []

  beforeAll(async () => {
    const proxyPort = await freePort()
    proxyOrigin = `http://127.0.0.1:${proxyPort}`
    await provider.registerClient({
      client_id: 'proxied',
      client_secret: 'proxied-secret-proxied-secret-proxied-0123456',
      redirect_uris: [`${proxyOrigin}/callback`],
      post_logout_redirect_uris: [`${proxyOrigin}/`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })
    // The app knows only its internal address; the proxy's origin reaches it forwarded.
    const auth = createOidcSession({
      issuer: provider.issuer,
      client: { id: 'proxied', secret: 'proxied-secret-proxied-secret-proxied-0123456' },
      redirectUri: `${appOrigin}/callback`,
      secrets: [SECRET],
      trustProxy: [proxyOrigin],
    })
    const app = await serveNode(createServer(createApp({ APP_URL: appOrigin }, auth)), appPort)
    const proxy = await serveNode(reverseProxy(appPort), proxyPort)
    closers.push(
      () => proxy.close() as Promise<void>,
      () => app.close() as Promise<void>,
    )
  })

  afterAll(async () => {
    for (const close of closers) await close()
  })

  it('logs in and out on the forwarded origin', async () => {
    const agent = new Agent()
    const { response, url } = await agent.login(`${proxyOrigin}/login?returnTo=/api/me`, {
      username: 'proxied-user',
    })
    expect(response.status).toBe(200)
    expect(url).toBe(`${proxyOrigin}/api/me`)
    expect(((await response.json()) as { sub: string }).sub).toBe('proxied-user')
    const logout = await agent.fetch(`${proxyOrigin}/logout`, {
      method: 'POST',
      headers: { origin: proxyOrigin },
    })
    expect(logout.status).toBe(302)
    const endSession = new URL(logout.headers.get('location')!)
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${proxyOrigin}/`)
    expect((await agent.fetch(`${proxyOrigin}/api/me`, { headers: API })).status).toBe(401)
  })
})
