import { UnsecuredJWT, type JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import { ProviderResponseError } from '../../src/errors.js'
import { mergeTokens } from '../../src/tokens/merge.js'
import type { TokenSet } from '../../src/tokens/token-set.js'
import { without } from '../fixtures/store-helpers.js'

const CLAIMS = {
  iss: 'https://idp.example.com',
  sub: 'user-1',
  aud: 'app',
  auth_time: 1_700_000_000,
  iat: 1_700_000_000,
  nonce: 'n',
}

/** An unsigned JWT: mergeTokens only decodes (the signature was checked by oauth4webapi). */
function idToken(claims: JWTPayload): string {
  return new UnsecuredJWT(claims).encode()
}

const current: TokenSet = {
  accessToken: 'old-access',
  tokenType: 'Bearer',
  expiresAt: 1_700_000_300,
  refreshToken: 'old-refresh',
  idToken: idToken(CLAIMS),
  scope: 'openid profile',
}

function expectRefused(fn: () => unknown, claim: string): void {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(ProviderResponseError)
  expect((caught as ProviderResponseError).code).toBe('ERR_PROVIDER_RESPONSE_INVALID')
  expect((caught as ProviderResponseError).transient).toBe(false)
  expect((caught as Error).message).toContain(`"${claim}"`)
  // No token in the message.
  expect((caught as Error).message).not.toContain('eyJ')
}

describe('mergeTokens', () => {
  it('keeps the old refresh token, id_token and scope when the response omits them', () => {
    const next: TokenSet = {
      accessToken: 'new-access',
      tokenType: 'Bearer',
      expiresAt: 1_700_000_900,
    }
    expect(mergeTokens(current, next)).toEqual({
      accessToken: 'new-access',
      tokenType: 'Bearer',
      expiresAt: 1_700_000_900,
      refreshToken: 'old-refresh',
      idToken: current.idToken,
      scope: 'openid profile',
    })
  })

  it('takes a rotated refresh token and a new scope', () => {
    const next: TokenSet = {
      accessToken: 'new-access',
      tokenType: 'Bearer',
      refreshToken: 'new-refresh',
      scope: 'openid',
    }
    const merged = mergeTokens(current, next)
    expect(merged.refreshToken).toBe('new-refresh')
    expect(merged.scope).toBe('openid')
  })

  it('does not invent an expiry the response did not give', () => {
    const merged = mergeTokens(current, { accessToken: 'a', tokenType: 'Bearer' })
    expect('expiresAt' in merged).toBe(false)
  })

  it('does not add fields that neither side has', () => {
    const bare: TokenSet = { accessToken: 'a', tokenType: 'Bearer' }
    expect(mergeTokens(bare, { accessToken: 'b', tokenType: 'DPoP' })).toEqual({
      accessToken: 'b',
      tokenType: 'DPoP',
    })
  })

  it('mutates neither input', () => {
    const before = structuredClone(current)
    const next: TokenSet = { accessToken: 'n', tokenType: 'Bearer' }
    const nextBefore = structuredClone(next)
    const merged = mergeTokens(current, next)
    expect(current).toEqual(before)
    expect(next).toEqual(nextBefore)
    expect(merged).not.toBe(next)
  })

  it('accepts a new id_token with the same iss, sub, aud and auth_time', () => {
    const fresh = idToken({ ...CLAIMS, iat: 1_700_000_600, nonce: undefined })
    const merged = mergeTokens(current, { accessToken: 'n', tokenType: 'Bearer', idToken: fresh })
    expect(merged.idToken).toBe(fresh)
    expect(merged.refreshToken).toBe('old-refresh')
  })

  it('accepts an audience given as a string or as a reordered array', () => {
    const withArray = { ...current, idToken: idToken({ ...CLAIMS, aud: ['app', 'api'] }) }
    const reordered = idToken({ ...CLAIMS, aud: ['api', 'app'] })
    expect(
      mergeTokens(withArray, { accessToken: 'n', tokenType: 'Bearer', idToken: reordered }).idToken,
    ).toBe(reordered)
    const asArray = idToken({ ...CLAIMS, aud: ['app'] })
    expect(
      mergeTokens(current, { accessToken: 'n', tokenType: 'Bearer', idToken: asArray }).idToken,
    ).toBe(asArray)
  })

  it('accepts a new id_token when the old one had no auth_time, or the new one omits it', () => {
    const noAuthTime = without(CLAIMS, 'auth_time')
    const old = { ...current, idToken: idToken(noAuthTime) }
    const withAuthTime = idToken({ ...CLAIMS, auth_time: 1_700_000_500 })
    expect(
      mergeTokens(old, { accessToken: 'n', tokenType: 'Bearer', idToken: withAuthTime }).idToken,
    ).toBe(withAuthTime)
    const omitted = idToken(noAuthTime)
    expect(
      mergeTokens(current, { accessToken: 'n', tokenType: 'Bearer', idToken: omitted }).idToken,
    ).toBe(omitted)
  })

  it('accepts any new id_token when there was none before', () => {
    const bare: TokenSet = { accessToken: 'a', tokenType: 'Bearer' }
    const fresh = idToken({ ...CLAIMS, sub: 'anyone' })
    expect(
      mergeTokens(bare, { accessToken: 'n', tokenType: 'Bearer', idToken: fresh }).idToken,
    ).toBe(fresh)
  })

  for (const [claim, changed] of [
    ['iss', { iss: 'https://other.example.com' }],
    ['sub', { sub: 'user-2' }],
    ['aud', { aud: 'other-app' }],
    ['aud', { aud: ['app', 'extra'] }],
    ['auth_time', { auth_time: 1_700_000_001 }],
  ] as [string, JWTPayload][]) {
    it(`refuses a new id_token that changes ${claim} (${JSON.stringify(changed)})`, () => {
      const next: TokenSet = {
        accessToken: 'n',
        tokenType: 'Bearer',
        idToken: idToken({ ...CLAIMS, ...changed }),
      }
      expectRefused(() => mergeTokens(current, next), claim)
    })
  }

  it('refuses a new id_token that drops iss or sub', () => {
    const noIss = without(CLAIMS, 'iss')
    const noSub = without(CLAIMS, 'sub')
    expectRefused(
      () =>
        mergeTokens(current, { accessToken: 'n', tokenType: 'Bearer', idToken: idToken(noIss) }),
      'iss',
    )
    expectRefused(
      () =>
        mergeTokens(current, { accessToken: 'n', tokenType: 'Bearer', idToken: idToken(noSub) }),
      'sub',
    )
  })

  it('checks the validated claims when given, not the raw token', () => {
    const next: TokenSet = { accessToken: 'n', tokenType: 'Bearer', idToken: idToken(CLAIMS) }
    // The raw token looks fine, but the validated claims say the subject changed.
    expectRefused(() => mergeTokens(current, next, { ...CLAIMS, sub: 'user-2' }), 'sub')
    // And the other way round: validated claims that match win over the raw token.
    const raw: TokenSet = {
      accessToken: 'n',
      tokenType: 'Bearer',
      idToken: idToken({ ...CLAIMS, sub: 'ignored' }),
    }
    expect(mergeTokens(current, raw, CLAIMS).idToken).toBe(raw.idToken)
  })
})

/**
 * Edge cases of `mergeTokens` (the nominal cases live in test/unit/tokens/merge.test.ts): malformed
 * old or new id_tokens, `nonce` (OIDC Core §12.2), malformed audiences. `mergeTokens` must throw
 * nothing but `ProviderResponseError`.
 */

describe('edge cases', () => {
  const CLAIMS: JWTPayload = {
    iss: 'https://idp.example.com',
    sub: 'user-1',
    aud: 'app',
    auth_time: 1_700_000_000,
    iat: 1_700_000_000,
    nonce: 'n-1',
  }
  const jwt = (claims: JWTPayload) => new UnsecuredJWT(claims).encode()
  const current: TokenSet = {
    accessToken: 'old',
    tokenType: 'Bearer',
    refreshToken: 'r-old',
    idToken: jwt(CLAIMS),
  }
  const next = (idToken: string): TokenSet => ({ accessToken: 'new', tokenType: 'Bearer', idToken })

  function refusal(fn: () => unknown): ProviderResponseError {
    let caught: unknown
    try {
      fn()
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ProviderResponseError)
    const error = caught as ProviderResponseError
    expect(error.code).toBe('ERR_PROVIDER_RESPONSE_INVALID')
    expect(error.message).not.toContain('eyJ')
    return error
  }

  describe('mergeTokens with malformed id_tokens', () => {
    const garbage = ['', 'not-a-jwt', 'a.b.c', 'eyJhbGciOiJub25lIn0.bm90IGpzb24.', '...']

    it('refuses a new id_token that does not decode, with a typed error and no token in the message', () => {
      for (const bad of garbage) {
        const error = refusal(() => mergeTokens(current, next(bad)))
        expect(error.message).toContain('not a valid JWT')
      }
    })

    it('accepts a validated new id_token when the stored one does not decode (corrupt at rest)', () => {
      const fresh = jwt(CLAIMS)
      for (const bad of garbage) {
        const merged = mergeTokens({ ...current, idToken: bad }, next(fresh))
        expect(merged.idToken).toBe(fresh)
        expect(merged.refreshToken).toBe('r-old')
      }
    })

    it('uses the validated claims when given, without decoding the new token', () => {
      const merged = mergeTokens(current, next('opaque-but-validated'), { ...CLAIMS })
      expect(merged.idToken).toBe('opaque-but-validated')
      refusal(() => mergeTokens(current, next('x'), { ...CLAIMS, sub: 'user-2' }))
    })

    it('keeps a malformed stored id_token when the response has none (nothing to compare)', () => {
      const merged = mergeTokens(
        { ...current, idToken: 'garbage' },
        {
          accessToken: 'n',
          tokenType: 'Bearer',
        },
      )
      expect(merged.idToken).toBe('garbage')
    })
  })

  describe('mergeTokens: OIDC Core §12.2 beyond iss/sub/aud/auth_time', () => {
    it('accepts a new id_token without nonce, or with the original nonce', () => {
      const noNonce = { ...CLAIMS }
      delete noNonce.nonce
      expect(mergeTokens(current, next(jwt(noNonce))).accessToken).toBe('new')
      expect(mergeTokens(current, next(jwt(CLAIMS))).accessToken).toBe('new')
    })

    it('refuses a new id_token with another nonce', () => {
      const error = refusal(() => mergeTokens(current, next(jwt({ ...CLAIMS, nonce: 'n-2' }))))
      expect(error.message).toContain('"nonce"')
    })

    it('refuses a new id_token whose aud is malformed (not a string or string array)', () => {
      for (const aud of [42, ['app', 7], { app: true }]) {
        const error = refusal(() =>
          mergeTokens(current, next(jwt({ ...CLAIMS, aud } as unknown as JWTPayload))),
        )
        expect(error.message).toContain('"aud"')
      }
    })

    it('refuses a new id_token that drops sub or iss', () => {
      const noSub = { ...CLAIMS }
      delete noSub.sub
      const noIss = { ...CLAIMS }
      delete noIss.iss
      expect(refusal(() => mergeTokens(current, next(jwt(noSub)))).message).toContain('"sub"')
      expect(refusal(() => mergeTokens(current, next(jwt(noIss)))).message).toContain('"iss"')
    })

    it('refuses an audience that gained or lost a member', () => {
      refusal(() => mergeTokens(current, next(jwt({ ...CLAIMS, aud: ['app', 'other'] }))))
      const multi = { ...current, idToken: jwt({ ...CLAIMS, aud: ['app', 'api'] }) }
      refusal(() => mergeTokens(multi, next(jwt({ ...CLAIMS, aud: 'app' }))))
    })
  })
})

describe('regressions', () => {
  it('a refreshed id_token that changes or adds azp is refused (OIDC Core §12.2)', () => {
    const claims = { iss: 'https://i', sub: 's', aud: ['app', 'api'], azp: 'app' }
    const current = {
      accessToken: 'a',
      tokenType: 'Bearer',
      idToken: new UnsecuredJWT(claims).encode(),
    }
    const changed = {
      accessToken: 'b',
      tokenType: 'Bearer',
      idToken: new UnsecuredJWT({ ...claims, azp: 'api' }).encode(),
    }
    expect(() => mergeTokens(current, changed)).toThrow(ProviderResponseError)
    const { azp: _azp, ...withoutAzp } = claims
    const original = {
      accessToken: 'a',
      tokenType: 'Bearer',
      idToken: new UnsecuredJWT(withoutAzp).encode(),
    }
    const added = {
      accessToken: 'b',
      tokenType: 'Bearer',
      idToken: new UnsecuredJWT(claims).encode(),
    }
    expect(() => mergeTokens(original, added)).toThrow(ProviderResponseError)
    const same = {
      accessToken: 'b',
      tokenType: 'Bearer',
      idToken: new UnsecuredJWT(claims).encode(),
    }
    expect(mergeTokens(current, same).accessToken).toBe('b')
  })
})
