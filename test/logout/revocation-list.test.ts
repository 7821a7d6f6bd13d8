/**
 * The in-process revocation list and replay cache, `isRevoked`, and the `logout` options.
 */
import { describe, expect, it } from 'vitest'
import {
  createOidcSession,
  isRevoked,
  memoryReplayCache,
  memoryRevocationList,
  type OidcSessionConfig,
} from 'oidc-session'
import { resolveConfig } from '../../src/config.js'

describe('memoryRevocationList + isRevoked', () => {
  it('revokes sessions created at or before notBefore, by sid or by sub', async () => {
    const list = memoryRevocationList()
    await list.add({ kind: 'sid', value: 's1', notBefore: 1000 }, 60)
    await list.add({ kind: 'sub', value: 'bob', notBefore: 2000 }, 60)
    const id = 'session-id'
    expect(await isRevoked(list, { id, sub: 'alice', sid: 's1', createdAt: 999 })).toBe(true)
    expect(await isRevoked(list, { id, sub: 'alice', sid: 's1', createdAt: 1000 })).toBe(true)
    expect(await isRevoked(list, { id, sub: 'alice', sid: 's1', createdAt: 1001 })).toBe(false) // a later login
    expect(await isRevoked(list, { id, sub: 'alice', sid: 's2', createdAt: 10 })).toBe(false)
    expect(await isRevoked(list, { id, sub: 'alice', createdAt: 10 })).toBe(false)
    expect(await isRevoked(list, { id, sub: 'bob', sid: 'any', createdAt: 1999 })).toBe(true)
    expect(await isRevoked(list, { id, sub: 'bob', createdAt: 2001 })).toBe(false)
  })

  it('revokes one session by its id (logout), whatever its sid and sub', async () => {
    const list = memoryRevocationList()
    await list.add({ kind: 'session', value: 'ended', notBefore: 5000 }, 60)
    expect(await isRevoked(list, { id: 'ended', sub: 'alice', sid: 's', createdAt: 10 })).toBe(true)
    expect(await isRevoked(list, { id: 'other', sub: 'alice', sid: 's', createdAt: 10 })).toBe(
      false,
    )
    expect(list.shared).toBe(false)
  })

  it('keeps the latest notBefore and forgets entries after their TTL', async () => {
    let t = 0
    const list = memoryRevocationList(10, () => t)
    await list.add({ kind: 'sub', value: 'u', notBefore: 50 }, 10)
    await list.add({ kind: 'sub', value: 'u', notBefore: 40 }, 10)
    expect(await list.notBefore({ sub: 'u' })).toEqual({ sub: 50 })
    t = 10_000
    expect(await list.notBefore({ sub: 'u' })).toEqual({})
  })

  it('is bounded: the oldest entries go first', async () => {
    const list = memoryRevocationList(2)
    for (const value of ['a', 'b', 'c']) await list.add({ kind: 'sid', value, notBefore: 1 }, 60)
    expect(await list.notBefore({ sub: 'x', sid: 'a' })).toEqual({})
    expect(await list.notBefore({ sub: 'x', sid: 'c' })).toEqual({ sid: 1 })
  })
})

describe('memoryReplayCache', () => {
  it('claims a key once until its TTL ends, and is bounded', async () => {
    let t = 0
    const cache = memoryReplayCache(2, () => t)
    expect(await cache.claim('a', 5)).toBe(true)
    expect(await cache.claim('a', 5)).toBe(false)
    t = 5_000
    expect(await cache.claim('a', 5)).toBe(true)
    await cache.claim('b', 5)
    await cache.claim('c', 5)
    expect(await cache.claim('a', 5)).toBe(true) // dropped as the oldest
  })
})

describe('logout options', () => {
  const base: OidcSessionConfig = {
    issuer: 'http://127.0.0.1:1',
    client: { id: 'app', secret: 'secret' },
    redirectUri: 'http://127.0.0.1:2/callback',
    secrets: ['options-secret-options-secret-options-0123'],
  }
  it('defaults: refresh expired id_token and revoke on, allow-list empty', () => {
    const { logout } = resolveConfig(base)
    expect(logout).toMatchObject({
      refreshExpiredIdToken: true,
      revokeRefreshToken: true,
      revocationTimeoutMs: 2000,
      postLogoutRedirectUris: [],
      logoutTokenMaxAgeSeconds: 600,
      backchannelRevokeRefreshTokens: false,
    })
  })

  it('refuses invalid values with ERR_INVALID_ARG_*', () => {
    const bad: unknown[] = [
      { refreshExpiredIdToken: 'yes' },
      { postLogoutRedirectUris: ['/relative'] },
      { postLogoutRedirectUris: 'http://127.0.0.1:2/' },
      { revocationTimeoutMs: -1 },
      { revocationList: {} },
      { replayCache: { claim: 1 } },
    ]
    for (const logout of bad) {
      expect(() => createOidcSession({ ...base, logout } as OidcSessionConfig)).toThrow(
        expect.objectContaining({ code: expect.stringMatching(/^ERR_INVALID_ARG_/) }),
      )
    }
  })
})
