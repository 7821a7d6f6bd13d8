/**
 * Refresh-token expiry (`refreshExpiresAt`, from Keycloak's `refresh_expires_in` or a
 * `refresh_token_expires_in`): read from token responses, kept through merges, stored in both
 * session wire forms, and turned into the `refresh-expired` state before any token call.
 */
import { describe, expect, it } from 'vitest'

import { providerProfile } from '../../src/oidc/profiles.js'
import {
  decodeSession,
  encodeSession,
  packSession,
  unpackSession,
  type Session,
} from '../../src/session/session.js'
import { refreshTokenExpired, tokenState } from '../../src/tokens/lifecycle.js'
import { mergeTokens } from '../../src/tokens/merge.js'
import { tokenSetFromResponse, type TokenSet } from '../../src/tokens/token-set.js'

const NOW = 1_700_000_000
const tokens: TokenSet = {
  accessToken: 'a',
  tokenType: 'Bearer',
  issuedAt: NOW,
  expiresAt: NOW + 300,
  refreshToken: 'r',
  refreshExpiresAt: NOW + 1800,
}

describe('tokenState with a refresh-token expiry', () => {
  it('fresh and due as usual while the refresh token lives', () => {
    expect(tokenState(tokens, NOW)).toBe('fresh')
    expect(tokenState(tokens, NOW + 250)).toBe('due')
    expect(tokenState(tokens, NOW + 300)).toBe('expired')
  })

  it('the access token is served until it expires, never refreshed, once the refresh token is dead', () => {
    const dying = { ...tokens, refreshExpiresAt: NOW + 200 }
    expect(tokenState(dying, NOW + 250)).toBe('fresh') // due, but a refresh would fail: serve it
    expect(tokenState(dying, NOW + 300)).toBe('refresh-expired')
  })

  it('counts the refresh token dead up to the clock tolerance early (a quarter of its lifetime at most)', () => {
    expect(refreshTokenExpired(tokens, NOW + 1769, { clockToleranceSeconds: 30 })).toBe(false)
    expect(refreshTokenExpired(tokens, NOW + 1770, { clockToleranceSeconds: 30 })).toBe(true)
    expect(tokenState(tokens, NOW + 1770, { clockToleranceSeconds: 30 })).toBe('refresh-expired')
    const short = { ...tokens, refreshExpiresAt: NOW + 40 }
    expect(refreshTokenExpired(short, NOW + 29, { clockToleranceSeconds: 30 })).toBe(false)
    expect(refreshTokenExpired(short, NOW + 30, { clockToleranceSeconds: 30 })).toBe(true)
  })

  it('no expiry said: never refresh-expired; no refresh token: unrefreshable as before', () => {
    const open: TokenSet = { ...tokens }
    delete open.refreshExpiresAt
    expect(tokenState(open, NOW + 1_000_000)).toBe('expired')
    const none: TokenSet = { ...tokens }
    delete none.refreshToken
    expect(tokenState(none, NOW + 1_000_000)).toBe('unrefreshable')
  })

  it('a corrupt expiry is a dead refresh token', () => {
    expect(refreshTokenExpired({ refreshExpiresAt: Number.NaN }, NOW)).toBe(true)
  })
})

describe('from a token response to the session', () => {
  const keycloak = providerProfile('keycloak')
  const response = {
    access_token: 'a',
    token_type: 'bearer' as const,
    expires_in: 300,
    refresh_token: 'r',
    refresh_expires_in: 1800,
  }

  it('tokenSetFromResponse takes the profile’s reading', () => {
    const set = tokenSetFromResponse(response, NOW, keycloak.refreshTokenExpiresAt(response, NOW))
    expect(set.refreshExpiresAt).toBe(NOW + 1800)
    expect(tokenSetFromResponse(response, NOW).refreshExpiresAt).toBeUndefined()
  })

  it('mergeTokens: a new refresh token brings its own expiry (or none); a kept one keeps its own', () => {
    const next = { accessToken: 'b', tokenType: 'Bearer', refreshToken: 'r2', refreshExpiresAt: 9 }
    expect(mergeTokens(tokens, next).refreshExpiresAt).toBe(9)
    const unsaid: TokenSet = { accessToken: 'b', tokenType: 'Bearer', refreshToken: 'r2' }
    expect(mergeTokens(tokens, unsaid).refreshExpiresAt).toBeUndefined()
    const kept: TokenSet = { accessToken: 'b', tokenType: 'Bearer' }
    expect(mergeTokens(tokens, kept)).toMatchObject({
      refreshToken: 'r',
      refreshExpiresAt: NOW + 1800,
    })
    const restated: TokenSet = { accessToken: 'b', tokenType: 'Bearer', refreshExpiresAt: 7 }
    expect(mergeTokens(tokens, restated)).toMatchObject({ refreshToken: 'r', refreshExpiresAt: 7 })
  })

  it('both wire forms keep it, and refuse a malformed one', () => {
    const session: Session = {
      id: 's',
      version: 1,
      createdAt: NOW,
      expiresAt: NOW + 3600,
      sub: 'u',
      tokens,
    }
    expect(decodeSession(JSON.parse(JSON.stringify(encodeSession(session))))?.tokens).toEqual(
      tokens,
    )
    expect(unpackSession(packSession(session))?.tokens).toEqual(tokens)
    expect(decodeSession({ ...encodeSession(session), q: '1800' })).toBeNull()
  })
})
