/**
 * Session lifetimes through the public API against the real provider: the idle (rolling)
 * lifetime on the cookie store and on the Redis store, the touch interval (a rolling cookie is not
 * rewritten on every request), the absolute lifetime, and the `idle-timeout` /
 * `absolute-timeout` reasons with their events. Time moves on the app bed's frozen clock.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOidcSession, type OidcSessionConfig } from 'oidc-session'
import { redisStore } from 'oidc-session/redis'
import { absorb, startAppBed, type AppBed } from '../fixtures/app-bed.js'
import { startProvider, type TestProvider } from '../fixtures/provider.js'
import { startRedis, type TestRedis } from '../fixtures/redis.js'

let provider: TestProvider
let redis: TestRedis
let client: Redis
const beds: AppBed[] = []

const LIFETIMES = { idle: 600, touchAfter: 60, absolute: 3600 } as const

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 3600, idTokenTtl: 3600 })
  redis = await startRedis()
  client = new Redis(redis.url)
})

afterAll(async () => {
  for (const bed of beds) await bed.close()
  client?.disconnect()
  await redis?.close()
  await provider?.close()
})

async function bedFor(store: 'cookie' | 'redis'): Promise<AppBed> {
  const bed = await startAppBed({
    provider,
    session: {
      session: LIFETIMES,
      ...(store === 'redis'
        ? { store: redisStore({ client, keyPrefix: `lifetimes:${beds.length}:` }) }
        : {}),
    } satisfies Partial<OidcSessionConfig>,
  })
  bed.clock.frozenAt = Date.now()
  beds.push(bed)
  return bed
}

const ended = (bed: AppBed) =>
  bed.events.filter((e) => e.name === 'sessionEnded').map((e) => e.payload.reason)

describe.each(['cookie', 'redis'] as const)('lifetimes with the %s store', (store) => {
  it('a session idle longer than session.idle ends as idle-timeout, with an event, and its cookie is deleted', async () => {
    const bed = await bedFor(store)
    const agent = await bed.login(`idle-${store}`)
    const cookie = bed.cookieOf(agent)
    bed.clock.seconds = LIFETIMES.idle - 1
    const alive = await bed.auth.authenticate(bed.request(cookie))
    expect(alive.ok).toBe(true)
    const afterTouch = absorb(agent, bed.url, alive.headers)
    // The request above recorded activity: the idle lifetime runs from it.
    bed.clock.seconds = 2 * LIFETIMES.idle - 2
    expect((await bed.auth.authenticate(bed.request(afterTouch))).ok).toBe(true)
    bed.clock.seconds = 3 * LIFETIMES.idle
    const idle = await bed.auth.authenticate(bed.request(bed.cookieOf(agent)))
    expect(idle).toMatchObject({ ok: false, reason: 'idle-timeout' })
    expect(idle.headers.getSetCookie().some((line) => /max-age=0/i.test(line))).toBe(true)
    expect(ended(bed)).toEqual(['idle-timeout'])
    // The protected API answers 401 for it, like any other missing session.
    const api = await bed.auth.protect(bed.request(cookie))
    expect(api.response?.status).toBe(401)
  })

  it('activity is recorded at most once per touchAfter: no Set-Cookie in between', async () => {
    const bed = await bedFor(store)
    const agent = await bed.login(`touch-${store}`)
    const cookie = bed.cookieOf(agent)
    bed.clock.seconds = LIFETIMES.touchAfter - 1
    const early = await bed.auth.authenticate(bed.request(cookie))
    expect(early).toMatchObject({ ok: true, reason: 'valid' })
    expect(early.headers.getSetCookie()).toEqual([])
    expect(early.ok && early.session.lastSeenAt).toBeFalsy()
    bed.clock.seconds = LIFETIMES.touchAfter
    const touched = await bed.auth.authenticate(bed.request(cookie))
    expect(touched.ok && touched.session.lastSeenAt).toBe(
      Math.floor((bed.clock.frozenAt ?? 0) / 1000) + LIFETIMES.touchAfter,
    )
    // The cookie store re-seals; a stateful store writes the entry and keeps its ticket cookie.
    expect(touched.headers.getSetCookie().length > 0).toBe(store === 'cookie')
  })

  it('a session past session.absolute ends as absolute-timeout, active or not', async () => {
    const bed = await bedFor(store)
    const agent = await bed.login(`absolute-${store}`)
    // Keep it active: a request every 500 s (less than the idle lifetime) up to the absolute end.
    for (let t = 500; t < LIFETIMES.absolute; t += 500) {
      bed.clock.seconds = t
      const result = await bed.auth.authenticate(bed.request(bed.cookieOf(agent)))
      expect(result.ok).toBe(true)
      absorb(agent, bed.url, result.headers)
    }
    bed.clock.seconds = LIFETIMES.absolute
    const over = await bed.auth.authenticate(bed.request(bed.cookieOf(agent)))
    expect(over.ok).toBe(false)
    expect(over.reason).toBe(store === 'cookie' ? 'absolute-timeout' : 'expired')
  })
})

describe('lifetimes configured after the fact', () => {
  it('a shortened session.absolute applies to existing sessions (absolute-timeout, with an event)', async () => {
    const bed = await bedFor('cookie')
    const agent = await bed.login('shortened')
    const now = () => (bed.clock.frozenAt ?? Date.now()) + bed.clock.seconds * 1000
    const events: string[] = []
    // Same client, secrets and cookie name: the session made by the first manager opens here.
    const stricter = createOidcSession({
      issuer: provider.issuer,
      client: { id: bed.clientId, secret: bed.clientSecret },
      redirectUri: `${bed.url}/callback`,
      secrets: ['app-bed-secret-app-bed-secret-app-bed-0123'],
      now,
      session: { absolute: 600 },
      events: { sessionEnded: (e) => events.push(e.reason) },
    })
    bed.clock.seconds = 599
    expect((await stricter.authenticate(bed.request(bed.cookieOf(agent)))).ok).toBe(true)
    bed.clock.seconds = 600
    const over = await stricter.authenticate(bed.request(bed.cookieOf(agent)))
    expect(over).toMatchObject({ ok: false, reason: 'absolute-timeout' })
    expect(events).toEqual(['absolute-timeout'])
  })

  it('invalid lifetimes are refused at construction', () => {
    const base = {
      issuer: 'https://idp.example',
      client: { id: 'app', secret: 's' },
      redirectUri: 'https://app.example/callback',
      secrets: ['x'.repeat(32)],
    }
    expect(() => createOidcSession({ ...base, session: { idle: 60, touchAfter: 60 } })).toThrow(
      /touchAfter/,
    )
    expect(() => createOidcSession({ ...base, session: { touchAfter: 10 } })).toThrow(/idle/)
    expect(() => createOidcSession({ ...base, session: { idle: -1 } })).toThrow(/session.idle/)
    expect(() =>
      createOidcSession({ ...base, session: { absolute: 10, absoluteDuration: 10 } }),
    ).toThrow(/same option/)
  })
})
