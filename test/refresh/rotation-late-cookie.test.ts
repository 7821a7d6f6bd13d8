/**
 * Rotation-safe late requests: a request that still carries the pre-refresh cookie (it left the
 * browser before the new Set-Cookie arrived) gets the new tokens from the recent-result cache, with
 * no second token call, and leaves with the new cookie.
 *
 * Past the cache's lifetime (`refresh.resultTtlSeconds`, default 60 s, measured on the injected
 * clock) the library cannot tell a late request from a replayed, stolen cookie, so it does what the
 * provider says: it presents the consumed refresh token, the provider refuses it (`invalid_grant`),
 * and the replaying request's session ends (`refresh-rejected`, cookies cleared). With rotation and
 * reuse detection (RFC 9700 §4.14.2, oidc-provider's behaviour) the provider also revokes the whole
 * grant, so the newer cookie's session ends at its next refresh: that is the intended answer to a
 * possible token theft, and this file pins it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { RefreshRejectedError } from 'oidc-session'
import { absorb, startAppBed, type AppBed } from '../fixtures/app-bed.js'

describe('a request replaying the pre-refresh cookie', () => {
  let bed: AppBed

  beforeAll(async () => {
    bed = await startAppBed({ session: { refresh: { resultTtlSeconds: 30 } } })
  })
  afterAll(async () => {
    await bed?.close()
  })
  beforeEach(() => {
    bed.clock.seconds = 0
    bed.clock.frozenAt = undefined
    bed.events.length = 0
  })

  it('gets the new tokens from the recent-result cache, with no second token call', async () => {
    const agent = await bed.login('carol')
    const oldCookie = agent.jar.header(bed.url)
    bed.provider.counters.reset()
    bed.clock.frozenAt = Date.now() // the TTL boundaries below are on this clock only
    bed.clock.seconds = 400
    const first = await bed.auth.authenticate(bed.request(oldCookie))
    expect(first.reason).toBe('refreshed')
    expect(bed.provider.counters.token.refresh_token).toBe(1)
    const newCookie = absorb(agent, bed.url, first.headers)
    expect(newCookie).not.toBe(oldCookie)

    bed.clock.seconds = 429 // still inside the 30 s result TTL
    const late = await bed.auth.authenticate(bed.request(oldCookie))
    expect(late.reason).toBe('refreshed')
    expect(late.session!.tokens).toEqual(first.session!.tokens)
    expect(bed.provider.counters.token.refresh_token).toBe(1)
    expect(bed.provider.counters.tokenErrors).toEqual({})
    expect(bed.events.filter((e) => e.name === 'refresh').map((e) => e.payload.source)).toEqual([
      'provider',
      'cache',
    ])
    // The late request was re-saved with the new tokens: its Set-Cookie opens to them.
    const lateAgentCookie = late.headers.getSetCookie()
    expect(lateAgentCookie.length).toBeGreaterThan(0)
    const reopened = await bed.auth.authenticate(
      bed.request(lateAgentCookie.map((line) => line.split(';')[0]).join('; ')),
    )
    expect(reopened.reason).toBe('valid')
    expect(reopened.session!.tokens.refreshToken).toBe(first.session!.tokens.refreshToken)

    // The current cookie keeps working and refreshes with the rotated token later.
    bed.clock.seconds = 800
    const later = await bed.auth.authenticate(bed.request(newCookie))
    expect(later.reason).toBe('refreshed')
    expect(bed.provider.counters.token.refresh_token).toBe(2)
    expect(bed.provider.counters.tokenErrors).toEqual({})
  })

  it('past the result TTL: refresh-rejected, cookies cleared, and the grant is revoked', async () => {
    const agent = await bed.login('dave')
    const oldCookie = agent.jar.header(bed.url)
    bed.provider.counters.reset()
    bed.clock.frozenAt = Date.now() // the TTL boundaries below are on this clock only
    bed.clock.seconds = 400
    const first = await bed.auth.authenticate(bed.request(oldCookie))
    expect(first.reason).toBe('refreshed')
    const newCookie = absorb(agent, bed.url, first.headers)

    bed.clock.seconds = 431 // the 30 s result TTL has passed
    const late = await bed.auth.authenticate(bed.request(oldCookie))
    expect(late.reason).toBe('refresh-rejected')
    expect(late.session).toBeNull()
    expect(late.error).toBeInstanceOf(RefreshRejectedError)
    expect(late.error?.code).toBe('ERR_REFRESH_INVALID_GRANT')
    expect(bed.provider.counters.token.refresh_token).toBe(2)
    expect(bed.provider.counters.tokenErrors.invalid_grant).toBe(1)
    // Cookies cleared.
    const cleared = late.headers.getSetCookie()
    expect(cleared.length).toBeGreaterThan(0)
    for (const line of cleared) expect(line).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i)
    expect(bed.events.filter((e) => e.name === 'sessionEnded')).toEqual([
      { name: 'sessionEnded', payload: expect.objectContaining({ reason: 'refresh-rejected' }) },
    ])

    // A second replay does not ask the provider again (a rejected token stays rejected).
    const replay = await bed.auth.authenticate(bed.request(oldCookie))
    expect(replay.reason).toBe('refresh-rejected')
    expect(bed.provider.counters.token.refresh_token).toBe(2)

    // The newer cookie is served while its access token is valid…
    expect((await bed.auth.authenticate(bed.request(newCookie))).reason).toBe('valid')
    // …but the provider revoked the grant on the reuse: its next refresh is rejected too.
    bed.clock.seconds = 800
    const next = await bed.auth.authenticate(bed.request(newCookie))
    expect(next.reason).toBe('refresh-rejected')
    expect(bed.provider.counters.tokenErrors.invalid_grant).toBe(2)
  })
})
