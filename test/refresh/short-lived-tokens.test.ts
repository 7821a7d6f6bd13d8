/**
 * Short-lived access tokens are not refreshed by every request: the refresh window scales with the
 * token's lifetime (at most half of it), with the default settings (leeway 60 s, clock tolerance
 * 30 s). And a recent-result cache hit whose access token is no longer fresh is never served as
 * fresh: the grant is refreshed again, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { absorb, startAppBed, type AppBed } from '../fixtures/app-bed.js'

function refreshCalls(bed: AppBed): number {
  return bed.provider.counters.token.refresh_token ?? 0
}

for (const ttl of [4, 20]) {
  describe(`a ${ttl} s access token with the default settings (short-lived-refresh-window)`, () => {
    let bed: AppBed
    beforeAll(async () => {
      bed = await startAppBed({ provider: { accessTokenTtl: ttl, idTokenTtl: 300 } })
    })
    afterAll(async () => {
      await bed?.close()
    })

    it('a request 1 s after a refresh makes no token call; the first after expiry makes one', async () => {
      // The app's clock stands still (the machine may be slow): every step is an exact offset.
      bed.clock.frozenAt = Date.now()
      const agent = await bed.login(`short-${ttl}`)
      bed.provider.counters.reset()
      const fresh = await bed.auth.authenticate(bed.request(bed.cookieOf(agent)))
      expect(fresh.reason).toBe('valid')
      expect(refreshCalls(bed)).toBe(0)

      bed.clock.seconds = ttl + 1 // past expiry: one refresh
      const refreshed = await bed.auth.authenticate(bed.request(bed.cookieOf(agent)))
      expect(refreshed.reason).toBe('refreshed')
      expect(refreshCalls(bed)).toBe(1)
      const cookie = absorb(agent, bed.url, refreshed.headers)

      bed.clock.seconds = ttl + 2 // 1 s after the refresh
      const again = await bed.auth.authenticate(bed.request(cookie))
      expect(again.reason).toBe('valid')
      expect(refreshCalls(bed)).toBe(1)

      bed.clock.seconds = 2 * ttl + 2 // past the refreshed token's expiry
      const next = await bed.auth.authenticate(bed.request(cookie))
      expect(next.reason).toBe('refreshed')
      expect(refreshCalls(bed)).toBe(2)
      expect(next.session!.tokens.expiresAt! - next.session!.tokens.issuedAt!).toBe(ttl)
    })
  })
}

describe('a provider that does not rotate refresh tokens (stale-cached-result)', () => {
  let bed: AppBed
  beforeAll(async () => {
    bed = await startAppBed({
      provider: { accessTokenTtl: 4, idTokenTtl: 300, rotateRefreshToken: false },
    })
  })
  afterAll(async () => {
    await bed?.close()
  })

  it('a cached result whose access token expired is refreshed again, not served', async () => {
    bed.clock.frozenAt = Date.now()
    const agent = await bed.login('no-rotation')
    const preRefresh = bed.cookieOf(agent)
    bed.provider.counters.reset()
    bed.clock.seconds = 5
    const first = await bed.auth.authenticate(bed.request(preRefresh))
    expect(first.reason).toBe('refreshed')
    expect(refreshCalls(bed)).toBe(1)
    // Same refresh token (no rotation): the recent-result cache holds the result under it.
    expect(first.session!.tokens.refreshToken).toBeDefined()

    bed.clock.seconds = 6 // the cached result is still fresh: reused, no call
    const cached = await bed.auth.authenticate(bed.request(preRefresh))
    expect(cached.reason).toBe('refreshed')
    expect(refreshCalls(bed)).toBe(1)

    bed.clock.seconds = 12 // the cached access token has expired: refresh again, once
    const late = await Promise.all(
      Array.from({ length: 5 }, () => bed.auth.authenticate(bed.request(preRefresh))),
    )
    expect(refreshCalls(bed)).toBe(2)
    for (const result of late) {
      expect(result.ok).toBe(true)
      expect(result.session!.tokens.expiresAt).toBeGreaterThan(12 + bed.clock.frozenAt! / 1000)
    }
  })
})
