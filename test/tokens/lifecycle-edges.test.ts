/**
 * Edge cases of `tokenState` on corrupt or unusual token sets (the nominal cases live in
 * test/unit/tokens/lifecycle.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { tokenState } from '../../src/tokens/lifecycle.js'
import type { TokenSet } from '../../src/tokens/token-set.js'

const EXP = 1_700_000_000
const base: TokenSet = { accessToken: 'a', tokenType: 'Bearer', expiresAt: EXP, refreshToken: 'r' }

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
