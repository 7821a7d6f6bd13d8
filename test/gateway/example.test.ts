/**
 * The gateway example (`examples/gateway`) against the real provider (resource indicators, DPoP,
 * refresh token rotation) and a tiny upstream that introspects every token it receives: the
 * examples contract (401 JSON / 302, login, logout, back-channel logout, refresh bursts, late
 * cookies) and the forwarding checks, with and without `API_RESOURCE`, with and without `DPOP=1`,
 * on the cookie store and on Redis with two instances side by side.
 */
import { randomBytes, createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, createGatewayAuth, type GatewayEnv } from '../../examples/gateway/app.js'
import { Agent } from '../fixtures/agent.js'
import { NAVIGATION_HEADERS as NAV, rawRequest } from '../fixtures/navigate.js'
import { clientMetadata, freePort, type TestProvider } from '../fixtures/provider.js'
import { startRedis, type TestRedis } from '../fixtures/redis.js'
import { API, countRefreshes, startBedProvider, startUpstream, type Upstream } from './support.js'

const SECRET = 'gateway-example-secret-gateway-example-0123'
const JSON_API = { accept: 'application/json' }

let provider: TestProvider
let redis: TestRedis
let refreshes: ReturnType<typeof countRefreshes>
const clients: Redis[] = []

beforeAll(async () => {
  provider = await startBedProvider({ accessTokenTtl: 300, idTokenTtl: 3600 })
  refreshes = countRefreshes(provider)
  redis = await startRedis()
})
afterAll(async () => {
  for (const client of clients) client.disconnect()
  await provider?.close()
  await redis?.close()
})

interface Gateway {
  url: string
  env: GatewayEnv
  clock: { seconds: number }
  close(): Promise<void>
}

let clientCount = 0

/** Start one gateway instance (its own port) for `clientId`, forwarding to `upstreamUrl`. */
async function startGateway(
  upstreamUrl: string,
  config: { apiResource: boolean; dpop: boolean; store: 'cookie' | 'redis'; clientId?: string },
  extra: Partial<GatewayEnv> = {},
): Promise<Gateway> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const clientId = config.clientId ?? `gateway-${++clientCount}`
  const secret = `${clientId}-secret-${clientId}-secret-0123456789`
  await provider.registerClient(clientMetadata(url, { client_id: clientId, client_secret: secret }))
  const env: GatewayEnv = {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: clientId,
    OIDC_CLIENT_SECRET: secret,
    APP_URL: url,
    PORT: String(port),
    SESSION_SECRET: SECRET,
    SESSION_STORE: config.store,
    UPSTREAM_URL: upstreamUrl,
    ...(config.store === 'redis' ? { REDIS_URL: redis.url } : {}),
    ...(config.apiResource ? { API_RESOURCE: API } : {}),
    ...(config.dpop ? { DPOP: '1' } : {}),
    ...extra,
  }
  const clock = { seconds: 0 }
  const client = config.store === 'redis' ? new Redis(redis.url) : undefined
  if (client) clients.push(client)
  const auth = createGatewayAuth(env, {
    now: () => Date.now() + clock.seconds * 1000,
    ...(client ? { redis: client } : {}),
  })
  const server: Server = createServer(createGateway(env, auth))
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url,
    env,
    clock,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

const sessionCookies = (agent: Agent) =>
  agent.jar.all().filter((c) => c.name.startsWith('oidc_session'))

/** The token the upstream saw last. */
const lastToken = (upstream: Upstream) =>
  (upstream.seen.at(-1)?.headers.authorization ?? '').split(' ')[1] ?? ''

describe.each([
  { apiResource: false, dpop: false },
  { apiResource: true, dpop: false },
  { apiResource: false, dpop: true },
  { apiResource: true, dpop: true },
])('gateway example, cookie store, API_RESOURCE $apiResource, DPOP $dpop', (config) => {
  let upstream: Upstream
  let gateway: Gateway
  let agent: Agent

  beforeAll(async () => {
    upstream = await startUpstream(provider, config.apiResource ? { audience: API } : {})
    gateway = await startGateway(`${upstream.url}/base`, { ...config, store: 'cookie' })
  })
  afterAll(async () => {
    await gateway?.close()
    await upstream?.close()
  })

  it('unauthenticated: 401 JSON for API calls, 302 to /login for navigations, 401 at /oauth2/auth', async () => {
    const api = await fetch(`${gateway.url}/api/items`, { headers: JSON_API })
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({
      error: 'unauthorized',
      login_url: '/login?returnTo=%2Fapi%2Fitems',
    })
    const page = await rawRequest(`${gateway.url}/docs?x=1`, { headers: NAV })
    expect(page.status).toBe(302)
    expect(page.headers.location).toBe(`${gateway.url}/login?returnTo=%2Fdocs%3Fx%3D1`)
    const check = await rawRequest(`${gateway.url}/oauth2/auth`, { headers: NAV })
    expect(check.status).toBe(401)
    expect(check.headers.location).toBeUndefined()
    expect(upstream.seen).toHaveLength(0)
  })

  it('logs in and forwards: path and query byte for byte, no session cookie, identity and forwarding headers', async () => {
    agent = new Agent()
    const { response, url } = await agent.login(`${gateway.url}/login?returnTo=/docs`, {
      username: 'alice',
    })
    expect(response.status).toBe(200)
    expect(url).toBe(`${gateway.url}/docs`)
    expect(sessionCookies(agent).length).toBeGreaterThan(0)

    const res = await agent.fetch(`${gateway.url}/api/items?b=2&a=1%2F&empty=&t=%7E+x`, {
      headers: {
        ...JSON_API,
        cookie: 'theme=dark',
        'x-forwarded-user': 'mallory',
        'x-forwarded-email': 'mallory@evil.example',
        'x-forwarded-for': '203.0.113.9',
        'x-auth-request-user': 'mallory',
        connection: 'x-hop',
        'x-hop': 'secret-hop',
      },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-upstream')).toBe('yes')
    const seen = upstream.seen.at(-1)!
    expect(seen.url).toBe('/base/api/items?b=2&a=1%2F&empty=&t=%7E+x')
    expect(seen.token.active).toBe(true)
    expect(seen.token.sub).toBe('alice')
    if (config.apiResource) expect(seen.token.aud).toBe(API)
    else expect(seen.token.aud).toBeUndefined()
    if (config.dpop) {
      expect(seen.scheme).toBe('DPoP')
      expect(seen.proof).toMatchObject({ valid: true })
      expect(seen.proof?.jkt).toBe((seen.token.cnf as { jkt: string }).jkt)
    } else {
      expect(seen.scheme).toBe('Bearer')
      expect(seen.token.cnf).toBeUndefined()
    }
    const cookie = String(seen.headers.cookie)
    expect(cookie).toContain('theme=dark')
    expect(cookie).not.toContain('oidc_session')
    expect(seen.headers['x-forwarded-user']).toBe('alice')
    expect(seen.headers['x-forwarded-email']).toBe('alice@example.test')
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(seen.headers['x-forwarded-proto']).toBe('http')
    expect(seen.headers['x-forwarded-host']).toBe(new URL(gateway.url).host)
    expect(seen.headers['x-hop']).toBeUndefined()
    expect(seen.headers['x-auth-request-user']).toBeUndefined()
  })

  it('GET /oauth2/auth answers 202 with X-Auth-Request-User and X-Auth-Request-Email', async () => {
    const res = await agent.fetch(`${gateway.url}/oauth2/auth`)
    expect(res.status).toBe(202)
    expect(res.headers.get('x-auth-request-user')).toBe('alice')
    expect(res.headers.get('x-auth-request-email')).toBe('alice@example.test')
  })

  it('streams a 1 MB POST body to the upstream intact, and a 2 MB answer back', async () => {
    const body = randomBytes(1024 * 1024)
    const res = await fetch(`${gateway.url}/upload`, {
      method: 'POST',
      body,
      headers: {
        ...JSON_API,
        'content-type': 'application/octet-stream',
        cookie: agent.jar.header(gateway.url),
      },
    })
    expect(res.status).toBe(200)
    const sha = createHash('sha256').update(body).digest('hex')
    expect(((await res.json()) as { bodySha256: string }).bodySha256).toBe(sha)
    expect(upstream.seen.at(-1)).toMatchObject({ method: 'POST', bodyBytes: body.length })

    const big = await fetch(`${gateway.url}/stream?kb=2048`, {
      headers: { cookie: agent.jar.header(gateway.url) },
    })
    expect(big.status).toBe(200)
    expect((await big.arrayBuffer()).byteLength).toBe(2048 * 1024)
  })

  it('after expiry, 50 concurrent forwarded calls make exactly one refresh call; the pre-refresh cookie is still served', async () => {
    const before = agent.jar.header(gateway.url)
    gateway.clock.seconds = 400
    refreshes.reset()
    provider.counters.reset()
    const seenBefore = upstream.seen.length
    const burst = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${gateway.url}/api/burst/${i}`, { headers: { ...JSON_API, cookie: before } }),
      ),
    )
    expect(burst.map((r) => r.status)).toEqual(Array(50).fill(200))
    expect(provider.counters.token.refresh_token).toBe(1)
    expect(provider.counters.tokenErrors).toEqual({})
    expect([...refreshes.byResource]).toEqual([[config.apiResource ? API : '(own)', 1]])
    const tokens = upstream.seen.slice(seenBefore)
    expect(tokens.every((s) => s.token.active)).toBe(true)
    expect(new Set(tokens.map((s) => s.headers.authorization)).size).toBe(1)
    agent.jar.store(gateway.url, burst[0]!.headers.getSetCookie())

    const late = await fetch(`${gateway.url}/api/late`, {
      headers: { ...JSON_API, cookie: before },
    })
    expect(late.status).toBe(200)
    expect(provider.counters.token.refresh_token).toBe(1)
  })

  it('an upstream 401 invalid_token: a POST gets it as is; a GET triggers one forced refresh and one retry', async () => {
    const res = await agent.fetch(`${gateway.url}/api/now`, { headers: JSON_API })
    expect(res.status).toBe(200)
    const token = lastToken(upstream)
    upstream.refuse.add(token)
    provider.counters.reset()

    const post = await fetch(`${gateway.url}/api/write`, {
      method: 'POST',
      body: 'x',
      headers: { ...JSON_API, cookie: agent.jar.header(gateway.url) },
    })
    expect(post.status).toBe(401)
    expect(post.headers.get('www-authenticate')).toContain('invalid_token')
    expect(provider.counters.token.refresh_token).toBeUndefined()

    const seenBefore = upstream.seen.length
    const get = await agent.fetch(`${gateway.url}/api/retry`, { headers: JSON_API })
    expect(get.status).toBe(200)
    expect(provider.counters.token.refresh_token).toBe(1)
    const attempts = upstream.seen.slice(seenBefore)
    expect(attempts).toHaveLength(2)
    expect(attempts[0]!.headers.authorization).toContain(token)
    expect(attempts[1]!.headers.authorization).not.toContain(token)
  })

  it('keeps the upstream from setting the session cookie and maps its redirects to the app', async () => {
    const res = await agent.fetch(`${gateway.url}/set-cookie`, { headers: JSON_API })
    expect(res.status).toBe(200)
    const lines = res.headers.getSetCookie()
    expect(lines.some((l) => l.startsWith('upstream_pref=1'))).toBe(true)
    expect(lines.some((l) => l.includes('hijacked'))).toBe(false)
    const redirect = await rawRequest(`${gateway.url}/redirect`, {
      headers: { ...JSON_API, cookie: agent.jar.header(gateway.url) },
    })
    expect(redirect.status).toBe(302)
    expect(redirect.headers.location).toBe(`${gateway.url}/landed?x=1`)
  })

  it('logs out with the freshest id_token as hint; the pre-logout cookie is refused', async () => {
    const cookie = agent.jar.header(gateway.url)
    const logout = await agent.fetch(`${gateway.url}/logout`, {
      method: 'POST',
      headers: { origin: gateway.url },
    })
    expect(logout.status).toBe(302)
    const end = new URL(logout.headers.get('location')!)
    expect(end.href.startsWith(`${provider.issuer}/session/end`)).toBe(true)
    expect(end.searchParams.get('id_token_hint')).toBeTruthy()
    expect(sessionCookies(agent)).toEqual([])
    const replay = await fetch(`${gateway.url}/api/items`, { headers: { ...JSON_API, cookie } })
    expect(replay.status).toBe(401)
  })

  it('back-channel logout from the provider ends the session', async () => {
    gateway.clock.seconds = 0 // logout tokens live two minutes: the clocks must agree
    const bob = new Agent()
    await bob.login(`${gateway.url}/login?returnTo=/`, { username: 'bob' })
    expect((await bob.fetch(`${gateway.url}/api/me`, { headers: JSON_API })).status).toBe(200)
    provider.counters.reset()
    const end = new URL(`${provider.issuer}/session/end`)
    end.searchParams.set('client_id', gateway.env.OIDC_CLIENT_ID!)
    await bob.logoutAtProvider(end.href)
    expect(provider.counters.backchannelDelivered).toBe(1)
    const after = await bob.fetch(`${gateway.url}/api/me`, { headers: JSON_API })
    expect(after.status).toBe(401)
    expect(await after.json()).toMatchObject({ error_description: 'no valid session (revoked)' })
  })
})

describe('gateway example on Redis, two instances side by side (API_RESOURCE, DPOP=1)', () => {
  let upstream: Upstream
  let first: Gateway
  let second: Gateway

  beforeAll(async () => {
    upstream = await startUpstream(provider, { audience: API })
    const config = { apiResource: true, dpop: true, store: 'redis' as const, clientId: 'gw-redis' }
    first = await startGateway(upstream.url, config)
    // Same client, same secrets, another port: cookies ignore the port, so one jar serves both.
    second = await startGateway(upstream.url, config, {})
    await provider.registerClient(
      clientMetadata(first.url, {
        client_id: 'gw-redis',
        client_secret: first.env.OIDC_CLIENT_SECRET!,
        redirect_uris: [`${first.url}/callback`, `${second.url}/callback`],
        post_logout_redirect_uris: [`${first.url}/`, `${second.url}/`],
      }),
    )
  })
  afterAll(async () => {
    await first?.close()
    await second?.close()
    await upstream?.close()
  })

  it('login on one, a burst split over both after expiry refreshes once, back-channel logout ends it on both', async () => {
    const agent = new Agent()
    await agent.login(`${first.url}/login?returnTo=/`, { username: 'carol' })
    const cookie = agent.jar.header(first.url)
    expect((await agent.fetch(`${second.url}/api/me`, { headers: JSON_API })).status).toBe(200)
    expect(upstream.seen.at(-1)).toMatchObject({ scheme: 'DPoP', proof: { valid: true } })

    first.clock.seconds = 400
    second.clock.seconds = 400
    refreshes.reset()
    provider.counters.reset()
    const burst = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${(i % 2 ? first : second).url}/api/burst/${i}`, {
          headers: { ...JSON_API, cookie },
        }),
      ),
    )
    expect(burst.map((r) => r.status)).toEqual(Array(50).fill(200))
    expect([...refreshes.byResource]).toEqual([[API, 1]])
    expect(provider.counters.tokenErrors).toEqual({})

    first.clock.seconds = 0 // logout tokens live two minutes: the clocks must agree
    second.clock.seconds = 0
    provider.counters.reset()
    const end = new URL(`${provider.issuer}/session/end`)
    end.searchParams.set('client_id', 'gw-redis')
    await agent.logoutAtProvider(end.href)
    expect(provider.counters.backchannelDelivered).toBe(1)
    for (const gateway of [first, second]) {
      const res = await fetch(`${gateway.url}/api/me`, { headers: { ...JSON_API, cookie } })
      expect(res.status).toBe(401)
    }
  })
})

describe('gateway example: an upstream that is down or too slow', () => {
  it('answers 502 when the upstream cannot be reached and 504 past UPSTREAM_TIMEOUT_MS', async () => {
    const upstream = await startUpstream(provider)
    const slow = await startGateway(
      upstream.url,
      {
        apiResource: false,
        dpop: false,
        store: 'cookie',
      },
      { UPSTREAM_TIMEOUT_MS: '300' },
    )
    const downPort = await freePort()
    const down = await startGateway(`http://127.0.0.1:${downPort}`, {
      apiResource: false,
      dpop: false,
      store: 'cookie',
    })
    try {
      const agent = new Agent()
      await agent.login(`${slow.url}/login?returnTo=/`, { username: 'dave' })
      const timedOut = await agent.fetch(`${slow.url}/slow?ms=3000`, { headers: JSON_API })
      expect(timedOut.status).toBe(504)
      expect(await timedOut.json()).toMatchObject({ error: 'gateway_timeout' })
      const quick = await agent.fetch(`${slow.url}/slow?ms=1`, { headers: JSON_API })
      expect(quick.status).toBe(200)

      const other = new Agent()
      await other.login(`${down.url}/login?returnTo=/oauth2/auth`, { username: 'erin' })
      const unreachable = await other.fetch(`${down.url}/api/items`, { headers: JSON_API })
      expect(unreachable.status).toBe(502)
      expect(await unreachable.json()).toMatchObject({ error: 'bad_gateway' })
    } finally {
      await slow.close()
      await down.close()
      await upstream.close()
    }
  })
})
