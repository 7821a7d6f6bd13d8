import { describe, expect, it } from 'vitest'
import { tokenState } from '../../src/tokens/lifecycle.js'
import type { TokenSet } from '../../src/tokens/token-set.js'
import { without } from '../fixtures/store-helpers.js'

const EXP = 1_700_000_000

const refreshable: TokenSet = {
  accessToken: 'a',
  tokenType: 'Bearer',
  expiresAt: EXP,
  refreshToken: 'r',
}
const notRefreshable = without(refreshable, 'refreshToken')

describe('tokenState', () => {
  it('is fresh before the leeway, due inside it, expired from expiresAt on (default leeway 60)', () => {
    expect(tokenState(refreshable, EXP - 61)).toBe('fresh')
    expect(tokenState(refreshable, EXP - 60)).toBe('due')
    expect(tokenState(refreshable, EXP - 1)).toBe('due')
    expect(tokenState(refreshable, EXP)).toBe('expired')
    expect(tokenState(refreshable, EXP + 1_000_000)).toBe('expired')
  })

  it('handles fractional times at the boundaries', () => {
    expect(tokenState(refreshable, EXP - 60.001)).toBe('fresh')
    expect(tokenState(refreshable, EXP - 0.001)).toBe('due')
  })

  it('follows a custom leeway, zero included', () => {
    expect(tokenState(refreshable, EXP - 11, { leewaySeconds: 10 })).toBe('fresh')
    expect(tokenState(refreshable, EXP - 10, { leewaySeconds: 10 })).toBe('due')
    expect(tokenState(refreshable, EXP - 1, { leewaySeconds: 0 })).toBe('fresh')
    expect(tokenState(refreshable, EXP, { leewaySeconds: 0 })).toBe('expired')
  })

  it('counts the token as expired clockToleranceSeconds earlier, never later', () => {
    const options = { leewaySeconds: 0, clockToleranceSeconds: 30 }
    expect(tokenState(refreshable, EXP - 31, options)).toBe('fresh')
    expect(tokenState(refreshable, EXP - 30, options)).toBe('expired')
    expect(tokenState(refreshable, EXP + 29, options)).toBe('expired')
    // Tolerance and leeway add up.
    const both = { leewaySeconds: 60, clockToleranceSeconds: 30 }
    expect(tokenState(refreshable, EXP - 91, both)).toBe('fresh')
    expect(tokenState(refreshable, EXP - 90, both)).toBe('due')
    expect(tokenState(refreshable, EXP - 30, both)).toBe('expired')
  })

  it('never says due or expired without a refresh token: fresh, then unrefreshable', () => {
    expect(tokenState(notRefreshable, EXP - 61)).toBe('fresh')
    expect(tokenState(notRefreshable, EXP - 1)).toBe('fresh')
    expect(tokenState(notRefreshable, EXP)).toBe('unrefreshable')
    expect(tokenState(notRefreshable, EXP - 30, { clockToleranceSeconds: 30 })).toBe(
      'unrefreshable',
    )
  })

  it('treats an empty refresh token as none', () => {
    const empty = { ...refreshable, refreshToken: '' }
    expect(tokenState(empty, EXP - 1)).toBe('fresh')
    expect(tokenState(empty, EXP)).toBe('unrefreshable')
  })

  it('is fresh when the provider gave no expiry, with or without a refresh token', () => {
    const noExpiry = without(refreshable, 'expiresAt')
    const noExpiryNoRefresh = without(notRefreshable, 'expiresAt')
    for (const now of [0, EXP, Number.MAX_SAFE_INTEGER]) {
      expect(tokenState(noExpiry, now)).toBe('fresh')
      expect(tokenState(noExpiryNoRefresh, now, { clockToleranceSeconds: 1e9 })).toBe('fresh')
    }
  })

  it('is a pure function: it does not touch the tokens', () => {
    const tokens = { ...refreshable }
    const snapshot = structuredClone(tokens)
    tokenState(tokens, EXP, { leewaySeconds: 5, clockToleranceSeconds: 5 })
    expect(tokens).toEqual(snapshot)
  })
})

/**
 * Edge cases of `tokenState` on corrupt or unusual token sets (the nominal cases live in
 * test/unit/tokens/lifecycle.test.ts).
 */

describe('edge cases', () => {
  const EXP = 1_700_000_000
  const base: TokenSet = {
    accessToken: 'a',
    tokenType: 'Bearer',
    expiresAt: EXP,
    refreshToken: 'r',
  }

  describe('tokenState on unusual token sets', () => {
    it('treats an empty access token as expired (refreshable) or unrefreshable', () => {
      expect(tokenState({ ...base, accessToken: '' }, EXP - 1000)).toBe('expired')
      expect(tokenState({ ...base, accessToken: '', refreshToken: '' }, EXP - 1000)).toBe(
        'unrefreshable',
      )
    })

    it('treats a non-finite expiry (corrupt state) as expired, never as fresh', () => {
      for (const expiresAt of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        expect(tokenState({ ...base, expiresAt }, EXP)).toBe('expired')
        const noRefresh: TokenSet = { ...base, expiresAt }
        delete noRefresh.refreshToken
        expect(tokenState(noRefresh, EXP)).toBe('unrefreshable')
      }
    })

    it('a token that expired long ago, or expires exactly now, is expired', () => {
      expect(tokenState({ ...base, expiresAt: 0 }, EXP)).toBe('expired')
      expect(tokenState(base, EXP, { leewaySeconds: 0, clockToleranceSeconds: 0 })).toBe('expired')
    })

    it('a clock tolerance larger than the lifetime makes a brand-new token expired, not fresh', () => {
      const fresh = { ...base, expiresAt: EXP + 20 }
      expect(tokenState(fresh, EXP, { clockToleranceSeconds: 30 })).toBe('expired')
    })
  })
})
