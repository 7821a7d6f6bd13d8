/**
 * Tokens per API (RFC 8707) against the real provider with refresh token rotation on: each
 * resource's token is obtained with the session's one refresh token, cached in the session with
 * its own expiry, refreshed once per (grant, resource) however many requests ask — in one process
 * and across two managers sharing a lock and a result cache — and a rotated refresh token is never
 * presented twice (a reuse would revoke the whole grant).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createOidcSession,
  memoryLock,
  memoryResultCache,
  memoryStore,
  type OidcSession,
} from 'oidc-session'
import { Agent } from '../fixtures/agent.js'
import type { TestProvider } from '../fixtures/provider.js'
import {
  API,
  BILLING,
  countRefreshes,
  startApp,
  startBedProvider,
  startUpstream,
  type App,
  type Upstream,
} from './support.js'

const JSON_API = { accept: 'application/json' }

let provider: TestProvider
let upstream: Upstream
let refreshes: ReturnType<typeof countRefreshes>

beforeAll(async () => {
  provider = await startBedProvider({ accessTokenTtl: 300, idTokenTtl: 3600 })
  refreshes = countRefreshes(provider)
  upstream = await startUpstream(provider)
})
afterAll(async () => {
  await upstream?.close()
  await provider?.close()
})

/** `/api/…` → the API's token, `/billing/…` → billing's, anything else the session's own. */
const byPath = (request: Request) => {
  const path = new URL(request.url).pathname
  if (path.startsWith('/api/')) return { resource: API }
  if (path.startsWith('/billing/')) return { resource: BILLING }
  return {}
}

const request = (cookie: string) => ({ url: '/', headers: { cookie } })

async function signIn(app: App, username: string): Promise<Agent> {
  const agent = new Agent()
  const { response } = await agent.login(`${app.url}/login?returnTo=/me`, { username })
  expect(response.status).toBe(200)
  return agent
}

describe('accessToken(request, { resource })', () => {
  let app: App

  beforeAll(async () => {
    app = await startApp(
      provider,
      upstream.url,
      { resources: { indicators: [API, BILLING] } },
      byPath,
    )
  })
  afterAll(() => app?.close())

  it('asks for every resource at login, then gets one token per resource with the refresh token and caches it', async () => {
    const agent = await signIn(app, 'alice')
    const authorize = app.authorizationUrls.at(-1)!
    expect(authorize.searchParams.getAll('resource')).toEqual([API, BILLING])
    const codeGrant = app.tokenRequests.find((r) => r.get('grant_type') === 'authorization_code')!
    expect(codeGrant.has('resource')).toBe(false) // the session's own token: the provider's default audience

    refreshes.reset()
    const cookie = agent.jar.header(app.url)
    const api = await app.auth.accessToken(request(cookie), { resource: API })
    expect(api).toMatchObject({ resource: API, tokenType: 'bearer' })
    expect(api.headers.getSetCookie().length).toBeGreaterThan(0) // the session now holds it
    expect([...refreshes.byResource]).toEqual([[API, 1]])
    const refreshGrant = app.tokenRequests.at(-1)!
    expect(refreshGrant.get('grant_type')).toBe('refresh_token')
    expect(refreshGrant.getAll('resource')).toEqual([API])

    agent.jar.store(app.url, api.headers.getSetCookie())
    const cached = await app.auth.accessToken(request(agent.jar.header(app.url)), { resource: API })
    expect(cached.accessToken).toBe(api.accessToken)
    expect(cached.headers.getSetCookie()).toEqual([])
    expect(refreshes.total()).toBe(1)

    const own = await app.auth.accessToken(request(agent.jar.header(app.url)))
    expect(own.accessToken).not.toBe(api.accessToken)
    expect(own.resource).toBeUndefined()

    // Each token has its own audience at the provider.
    for (const [path, audience] of [
      ['/api/x', API],
      ['/billing/x', BILLING],
      ['/x', undefined],
    ] as const) {
      const res = await agent.fetch(`${app.url}${path}`, { headers: JSON_API })
      expect(res.status).toBe(200)
      expect(upstream.seen.at(-1)!.token).toMatchObject({ active: true, sub: 'alice' })
      expect(upstream.seen.at(-1)!.token.aud).toBe(audience)
    }
  })

  it('refuses a resource the login did not ask for before any token call (a refused target can cost the grant)', async () => {
    const agent = await signIn(app, 'bob')
    const cookie = agent.jar.header(app.url)
    provider.counters.reset()
    for (const resource of ['', 'https://unknown.example'])
      await expect(app.auth.accessToken(request(cookie), { resource })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
      })
    await expect(
      app.auth.forward(request(cookie), upstream.url, { resource: 'https://unknown.example' }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' })
    expect(provider.counters.token).toEqual({})
    expect((await app.auth.accessToken(request(cookie), { resource: API })).resource).toBe(API)
  })

  it('oidc-provider consumes a rotating refresh token before refusing an unknown target: why unknown resources are refused locally', async () => {
    const agent = await signIn(app, 'bob')
    const loaded = await app.auth.authenticate(request(agent.jar.header(app.url)))
    const refreshToken = loaded.session!.tokens.refreshToken!
    const client = (await provider.provider.Client.find(app.clientId)) as { clientSecret: string }
    const grant = (resource: string) =>
      fetch(`${provider.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`${app.clientId}:${client.clientSecret}`)}`,
        },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          resource,
        }),
      })
    const refused = await grant('https://unknown.example')
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ error: 'invalid_target' })
    const reused = await grant(API)
    expect(await reused.json()).toMatchObject({ error: 'invalid_grant' })
  })
})

describe('rotation-safe, single-flight per (grant, resource)', () => {
  let app: App
  let other: OidcSession
  const clock = { seconds: 0 }
  const now = () => Date.now() + clock.seconds * 1000
  const lock = memoryLock({ now })
  const resultCache = memoryResultCache(1_000, now)

  beforeAll(async () => {
    app = await startApp(
      provider,
      upstream.url,
      { resources: { indicators: [API, BILLING] }, now, refresh: { lock, resultCache } },
      byPath,
    )
    // A second manager of the same app (another "process"): same client, secrets, lock and cache.
    const client = await provider.provider.Client.find(app.clientId)
    const secret = (client as { clientSecret: string }).clientSecret
    other = createOidcSession({
      issuer: provider.issuer,
      client: { id: app.clientId, secret },
      redirectUri: `${app.url}/callback`,
      secrets: ['gateway-tests-secret-gateway-tests-secret-01'],
      scope: 'openid email offline_access',
      resources: { indicators: [API, BILLING] },
      now,
      refresh: { lock, resultCache },
      logger: { warn: () => undefined },
    })
  })
  afterAll(() => app?.close())

  it('a burst of 60 forwarded calls over three tokens after expiry: one refresh call per resource, no reuse', async () => {
    const agent = await signIn(app, 'carol')
    // Fill the session with both resource tokens first.
    for (const path of ['/api/warm', '/billing/warm']) {
      const res = await agent.fetch(`${app.url}${path}`, { headers: JSON_API })
      expect(res.status).toBe(200)
    }
    const cookie = agent.jar.header(app.url)
    clock.seconds = 400 // every token of the session has expired for the app
    refreshes.reset()
    provider.counters.reset()
    const seenBefore = upstream.seen.length
    // The session's own token answers last (a slow upstream): its refresh happened first, so its
    // cookie would carry a superseded refresh token unless brought up to date before it leaves.
    const paths = ['/api/i?n=', '/billing/i?n=', '/own/slow?ms=300&n=']
    const arrivals: Response[] = []
    const burst = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const response = await fetch(`${app.url}${paths[i % 3]}${i}`, {
          headers: { ...JSON_API, cookie },
        })
        arrivals.push(response)
        return response
      }),
    )
    expect(burst.map((r) => r.status)).toEqual(Array(60).fill(200))
    expect(provider.counters.tokenErrors).toEqual({}) // no invalid_grant: no refresh token reused
    expect(new Map(refreshes.byResource)).toEqual(
      new Map([
        [API, 1],
        [BILLING, 1],
        ['(own)', 1],
      ]),
    )
    const seen = upstream.seen.slice(seenBefore)
    expect(seen.every((s) => s.token.active)).toBe(true)
    expect(new Set(seen.map((s) => s.headers.authorization)).size).toBe(3)

    // Late requests with the pre-burst cookie are served from the recent results.
    const late = await fetch(`${app.url}/billing/late`, { headers: { ...JSON_API, cookie } })
    expect(late.status).toBe(200)
    expect(refreshes.total()).toBe(3)
    // The browser keeps the cookie of the last answer it got: it holds the newest refresh token,
    // so the grant goes on long after the recent results are gone.
    for (const response of arrivals) agent.jar.store(app.url, response.headers.getSetCookie())
    clock.seconds = 800
    for (const path of ['/api/again', '/billing/again', '/own/again']) {
      const again = await agent.fetch(`${app.url}${path}`, { headers: JSON_API })
      expect(again.status).toBe(200)
    }
    expect(provider.counters.tokenErrors).toEqual({})
  })

  it('two managers sharing a lock and a result cache: one refresh call per resource for a burst on both', async () => {
    clock.seconds = 0
    const agent = await signIn(app, 'dave')
    let cookie = agent.jar.header(app.url)
    for (const resource of [API, BILLING]) {
      const { headers } = await app.auth.accessToken(request(cookie), { resource })
      agent.jar.store(app.url, headers.getSetCookie())
      cookie = agent.jar.header(app.url)
    }
    clock.seconds = 400
    refreshes.reset()
    provider.counters.reset()
    const targets = [API, BILLING, undefined]
    const results = await Promise.all(
      Array.from({ length: 90 }, (_, i) => {
        const resource = targets[i % 3]
        return (i % 2 ? other : app.auth).accessToken(
          request(cookie),
          resource ? { resource } : undefined,
        )
      }),
    )
    expect(provider.counters.tokenErrors).toEqual({})
    expect(refreshes.total()).toBe(3)
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(3)
  })

  it('keeps at most maxPerSession resource tokens (the oldest is dropped)', async () => {
    clock.seconds = 0
    const small = createOidcSession({
      issuer: provider.issuer,
      client: {
        id: app.clientId,
        secret: ((await provider.provider.Client.find(app.clientId)) as { clientSecret: string })
          .clientSecret,
      },
      redirectUri: `${app.url}/callback`,
      secrets: ['gateway-tests-secret-gateway-tests-secret-01'],
      resources: { indicators: [API, BILLING], maxPerSession: 1 },
      now,
    })
    const agent = await signIn(app, 'erin')
    let cookie = agent.jar.header(app.url)
    for (const resource of [API, BILLING]) {
      const { headers } = await small.accessToken(request(cookie), { resource })
      agent.jar.store(app.url, headers.getSetCookie())
      cookie = agent.jar.header(app.url)
    }
    const loaded = await small.authenticate(request(cookie))
    expect(loaded.session?.resourceTokens?.map((t) => t.resource)).toEqual([BILLING])
  })
})

describe('a stateful store and several resources', () => {
  it('keeps the newest refresh token when requests for different resources save at once', async () => {
    const clock = { seconds: 0 }
    const app = await startApp(
      provider,
      upstream.url,
      {
        store: memoryStore(),
        resources: { indicators: [API, BILLING] },
        now: () => Date.now() + clock.seconds * 1000,
      },
      byPath,
    )
    try {
      const agent = await signIn(app, 'grace')
      const paths = ['/api/', '/billing/', '/own/']
      for (const round of [1, 2, 3]) {
        clock.seconds = round * 400 // every token expired again
        provider.counters.reset()
        const burst = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            agent.fetch(`${app.url}${paths[i % 3]}${round}-${i}`, { headers: JSON_API }),
          ),
        )
        expect(burst.map((r) => r.status)).toEqual(Array(30).fill(200))
        expect(provider.counters.tokenErrors).toEqual({})
        expect(provider.counters.token.refresh_token).toBe(3)
      }
    } finally {
      await app.close()
    }
  })
})

describe('resources.parameter: audience', () => {
  it('sends the audience parameter instead of resource', async () => {
    const app = await startApp(provider, upstream.url, {
      resources: { indicators: ['orders-api'], parameter: 'audience' },
    })
    try {
      const agent = await signIn(app, 'frank')
      expect(app.authorizationUrls.at(-1)!.searchParams.getAll('audience')).toEqual(['orders-api'])
      // oidc-provider ignores `audience`: the token is its default one, but the request says it.
      await app.auth.accessToken(request(agent.jar.header(app.url)), { resource: 'orders-api' })
      const grant = app.tokenRequests.at(-1)!
      expect(grant.get('audience')).toBe('orders-api')
      expect(grant.has('resource')).toBe(false)
    } finally {
      await app.close()
    }
  })
})
