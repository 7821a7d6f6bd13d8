/**
 * Logout across two processes sharing Redis: two `createOidcSession` instances (two Express
 * example servers, same client and secrets, nothing shared but Redis) — the recent-result cache
 * gives the logout on one the id_token a refresh on the other obtained, and the Redis revocation
 * list ends, on both, a cookie session the provider ended through a back-channel call to one.
 * Also the Redis revocation list and replay cache on their own. Needs `redis-server` (fails
 * without it).
 */
import { decodeJwt } from 'jose'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { OidcSessionConfig } from 'oidc-session'
import { redisReplayCache, redisResultCache, redisRevocationList } from 'oidc-session/redis'
import { startProvider, type TestProvider } from '../fixtures/provider.js'
import { startRedis, type TestRedis } from '../fixtures/redis.js'
import { requestTo as request, startAppBed, type AppBed as TestApp } from '../fixtures/app-bed.js'

let provider: TestProvider
let redis: TestRedis
let client: Redis
const apps: TestApp[] = []
let clock = 0
const now = () => Date.now() + clock * 1000

beforeAll(async () => {
  redis = await startRedis()
  client = new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 })
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 3600 })
})

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()))
  await provider?.close()
  client?.disconnect()
  await redis?.close()
})

beforeEach(() => {
  clock = 0
  provider.counters.reset()
})

function shared(prefix: string): Partial<OidcSessionConfig> {
  return {
    now,
    refresh: { resultCache: redisResultCache(client, { keyPrefix: `${prefix}:refresh:` }) },
    logout: {
      revocationList: redisRevocationList(client, { keyPrefix: `${prefix}:logout:` }),
      replayCache: redisReplayCache(client, { keyPrefix: `${prefix}:logout:` }),
    },
  }
}

/** Two instances of one app: A receives the back-channel calls, both serve the same cookies. */
async function pair(prefix: string): Promise<[TestApp, TestApp]> {
  const a = await startAppBed({ provider, session: shared(prefix) })
  const b = await startAppBed({
    provider,
    session: shared(prefix),
    siblings: [a.url],
    client: {
      client_id: a.clientId,
      client_secret: a.clientSecret,
      backchannel_logout_uri: `${a.url}/backchannel-logout`,
    },
  })
  apps.push(a, b)
  return [a, b]
}

describe('logout across two processes sharing Redis', () => {
  it('logout on B sends the id_token of a refresh done on A (stale cookie)', async () => {
    const [a, b] = await pair('t1')
    const agent = await a.login('alice')
    const stale = a.cookieOf(agent)
    const loginIdToken = (await a.auth.authenticate(request(a, '/api/me', stale))).session!.tokens
      .idToken!
    // RS256 is deterministic: a refresh in the same second would return the same id_token bytes.
    await new Promise((resolve) => setTimeout(resolve, 1010 - (Date.now() % 1000)))

    clock = 400
    const refreshed = await a.auth.authenticate(request(a, '/api/me', stale))
    expect(refreshed.reason).toBe('refreshed')
    const newIdToken = refreshed.session!.tokens.idToken!
    expect(newIdToken).not.toBe(loginIdToken)

    const response = await b.auth.logout(request(b, '/logout', stale))
    expect(response.status).toBe(302)
    const hint = new URL(response.headers.get('location')!).searchParams.get('id_token_hint')
    expect(hint).toBe(newIdToken)
    expect(decodeJwt(hint!).iat!).toBeGreaterThan(decodeJwt(loginIdToken).iat!)
    expect(provider.counters.token.refresh_token).toBe(1)
    expect(provider.counters.revocation).toBe(1)
  })

  it('a back-channel logout delivered to A ends the cookie session on B too', async () => {
    const [a, b] = await pair('t2')
    const agent = await a.login('bob')
    const cookie = a.cookieOf(agent)
    expect((await b.auth.authenticate(request(b, '/api/me', cookie))).reason).toBe('valid')

    const end = new URL(`${provider.issuer}/session/end`)
    end.searchParams.set('client_id', a.clientId)
    await agent.logoutAtProvider(end.href)
    expect(provider.counters.backchannelDelivered).toBe(1)

    const onB = await agent.fetch(`${b.url}/api/me`, { headers: { accept: 'application/json' } })
    expect(onB.status).toBe(401)
    expect(await onB.json()).toMatchObject({ error_description: 'no valid session (revoked)' })
    expect((await a.auth.authenticate(request(a, '/api/me', cookie))).reason).toBe('revoked')
  })
})

describe('redis revocation list and replay cache', () => {
  it('keeps the latest notBefore per sid/sub, with a TTL', async () => {
    const list = redisRevocationList(client, { keyPrefix: 't3:' })
    expect(await list.notBefore({ sub: 'u', sid: 's' })).toEqual({})
    await list.add({ kind: 'sid', value: 's', notBefore: 200 }, 60)
    await list.add({ kind: 'sid', value: 's', notBefore: 100 }, 60)
    await list.add({ kind: 'sub', value: 'u', notBefore: 150 }, 60)
    expect(await list.notBefore({ sub: 'u', sid: 's' })).toEqual({ sid: 200, sub: 150 })
    expect(await list.notBefore({ sub: 'other' })).toEqual({})
    const keys = await client.keys('t3:*')
    expect(keys).toHaveLength(2)
    for (const key of keys) {
      expect(key).not.toMatch(/:(u|s)$/) // values are hashed
      const ttl = await client.ttl(key)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(60)
    }
  })

  it('claims a jti once across instances', async () => {
    const one = redisReplayCache(client, { keyPrefix: 't4:' })
    const two = redisReplayCache(client, { keyPrefix: 't4:' })
    expect(await one.claim('iss jti-1', 30)).toBe(true)
    expect(await two.claim('iss jti-1', 30)).toBe(false)
    expect(await two.claim('iss jti-2', 30)).toBe(true)
  })
})
