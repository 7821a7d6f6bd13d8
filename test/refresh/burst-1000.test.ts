/**
 * One process, 1 000 concurrent `authenticate()` calls carrying one expired session, against the
 * real provider with refresh-token rotation: exactly one refresh call, 1 000 successes with the same
 * new access token, and the session keeps working (and refreshing) afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore } from 'oidc-session'
import { absorb, startAppBed, type AppBed } from '../fixtures/app-bed.js'

const N = 1000

describe('a burst of 1 000 requests with an expired access token', () => {
  let bed: AppBed
  /** Every token and cookie value the first test saw, to look for in event payloads. */
  const secrets = new Set<string>()

  beforeAll(async () => {
    bed = await startAppBed()
  })
  afterAll(async () => {
    await bed?.close()
  })

  it('makes exactly one refresh call, and all requests get the same new tokens', async () => {
    const agent = await bed.login('alice')
    const before = await bed.auth.authenticate(bed.request(agent.jar.header(bed.url)))
    expect(before.reason).toBe('valid')
    const old = before.session!.tokens
    bed.provider.counters.reset()

    bed.clock.seconds = 400 // the 300 s access token has expired for the app
    const cookie = agent.jar.header(bed.url)
    const results = await Promise.all(
      Array.from({ length: N }, () => bed.auth.authenticate(bed.request(cookie))),
    )
    expect(bed.provider.counters.token.refresh_token).toBe(1)
    expect(bed.provider.counters.tokenErrors).toEqual({})
    expect(results.filter((r) => r.reason === 'refreshed')).toHaveLength(N)
    const accessTokens = new Set(results.map((r) => r.session?.tokens.accessToken))
    expect(accessTokens.size).toBe(1)
    expect(accessTokens.has(old.accessToken)).toBe(false)
    const refreshTokens = new Set(results.map((r) => r.session?.tokens.refreshToken))
    expect(refreshTokens.size).toBe(1)
    expect(refreshTokens.has(old.refreshToken)).toBe(false) // rotated
    for (const result of results) expect(result.headers.getSetCookie().length).toBeGreaterThan(0)
    const refreshEvents = bed.events.filter((e) => e.name === 'refresh')
    expect(refreshEvents).toHaveLength(N)
    expect(refreshEvents.filter((e) => e.payload.source === 'provider')).toHaveLength(1)

    // The session keeps working with the new cookie: no further call while fresh…
    const next = absorb(agent, bed.url, results[0]!.headers)
    const again = await bed.auth.authenticate(bed.request(next))
    expect(again.reason).toBe('valid')
    expect(again.session!.tokens.accessToken).toBe(results[0]!.session!.tokens.accessToken)
    const info = await bed.auth.userinfo(bed.request(next))
    expect(info.claims.sub).toBe('alice')

    // …and the rotated refresh token refreshes again later (a second burst, one more call).
    for (const tokens of [old, results[0]!.session!.tokens])
      for (const value of Object.values(tokens)) if (typeof value === 'string') secrets.add(value)
    for (const c of agent.jar.all()) secrets.add(c.value)

    bed.clock.seconds = 800
    const second = await Promise.all(
      Array.from({ length: 50 }, () => bed.auth.authenticate(bed.request(next))),
    )
    expect(second.every((r) => r.reason === 'refreshed')).toBe(true)
    expect(bed.provider.counters.token.refresh_token).toBe(2)
    expect(bed.provider.counters.tokenErrors).toEqual({})
    expect(new Set(second.map((r) => r.session?.tokens.accessToken)).size).toBe(1)
  })

  it('event payloads carry no token and no cookie value', () => {
    expect(secrets.size).toBeGreaterThanOrEqual(6) // access, refresh, id tokens (old, new), cookie
    expect(bed.events.map((e) => e.name)).toEqual(expect.arrayContaining(['login', 'refresh']))
    for (const event of bed.events) {
      const text = JSON.stringify(event.payload)
      expect(text).not.toMatch(/eyJ[\w-]+\./) // no JWT at all
      for (const secret of secrets) expect(text).not.toContain(secret)
      expect(Object.keys(event.payload)).toEqual(expect.arrayContaining(['sessionId', 'sub']))
    }
  })
})

describe('a burst with a stateful store (compare-and-set on save)', () => {
  let bed: AppBed
  const store = memoryStore()

  beforeAll(async () => {
    bed = await startAppBed({ session: { store } })
  })
  afterAll(async () => {
    await bed?.close()
  })

  it('makes one refresh call; losers of the compare-and-set use the stored, newer session', async () => {
    const agent = await bed.login('bob')
    const cookie = agent.jar.header(bed.url)
    const before = await bed.auth.authenticate(bed.request(cookie))
    const version = before.session!.version
    bed.provider.counters.reset()
    bed.clock.seconds = 400
    const results = await Promise.all(
      Array.from({ length: 200 }, () => bed.auth.authenticate(bed.request(cookie))),
    )
    expect(bed.provider.counters.token.refresh_token).toBe(1)
    expect(results.every((r) => r.reason === 'refreshed')).toBe(true)
    expect(new Set(results.map((r) => r.session?.tokens.accessToken)).size).toBe(1)
    // One save won; every other request re-loaded it rather than writing again.
    const after = await bed.auth.authenticate(bed.request(cookie))
    expect(after.reason).toBe('valid')
    expect(after.session!.version).toBe(version + 1)
    expect(after.session!.tokens.accessToken).toBe(results[0]!.session!.tokens.accessToken)
  })
})
