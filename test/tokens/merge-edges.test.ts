/**
 * Edge cases of `mergeTokens` (the nominal cases live in test/unit/tokens/merge.test.ts): malformed
 * old or new id_tokens, `nonce` (OIDC Core §12.2), malformed audiences. `mergeTokens` must throw
 * nothing but `ProviderResponseError`.
 */
import { UnsecuredJWT, type JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import { ProviderResponseError } from '../../src/errors.js'
import { mergeTokens } from '../../src/tokens/merge.js'
import type { TokenSet } from '../../src/tokens/token-set.js'

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
