/**
 * Conformance of the refresh response (OpenID Connect Core 1.0 §12.2) against the real provider,
 * whose refresh grant issues a new id_token: the one it issues is accepted; one that changes what
 * §12.2 says must stay the same (the provider's id_token, re-signed with the provider's key after a
 * change) is refused and the session is not extended. RFC 9700 §4.14 (refresh token rotation) too.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import {
  startConformance,
  type Conformance,
  type IdTokenHook,
  type IdTokenParts,
} from './support.js'

let h: Conformance

beforeAll(async () => {
  h = await startConformance()
})
afterAll(async () => {
  await h?.close()
})
afterEach(() => h.reset())

const now = () => Math.floor(Date.now() / 1000)

/** The claims changed by `changes` (`undefined` deletes a claim). */
const change =
  (changes: Record<string, unknown>): IdTokenHook =>
  (parts: IdTokenParts) => {
    const claims = { ...parts.claims, ...changes }
    for (const [name, value] of Object.entries(changes))
      if (value === undefined) delete claims[name]
    return { header: parts.header, claims }
  }

/**
 * Log in (the provider's own id_token), then refresh with `hook` applied to the refresh
 * response's id_token: the result of `authenticate()` and the id_token claims before and after.
 */
async function refreshWith(hook?: IdTokenHook) {
  let original: IdTokenParts['claims'] | undefined
  h.hooks.authorization_code = (parts) => {
    original = parts.claims
    return undefined
  }
  h.clock.seconds = 0
  const cookie = await h.login()
  let issued: IdTokenParts['claims'] | undefined
  h.hooks.refresh_token = (parts) => {
    issued = parts.claims
    return hook?.(parts)
  }
  h.clock.seconds = 400 // past the access token's 300 s
  const before = h.provider.counters.token.refresh_token ?? 0
  const result = await h.auth.authenticate(h.request(cookie))
  expect(h.provider.counters.token.refresh_token ?? 0).toBe(before + 1)
  return { result, original: original!, issued: issued! }
}

function expectRefused(result: Awaited<ReturnType<typeof refreshWith>>['result']): void {
  expect(result.ok).toBe(false)
  expect(result.reason).toBe('refresh-failed')
  expect(result.ok ? undefined : result.error?.code).toBe('ERR_PROVIDER_RESPONSE_INVALID')
}

describe('OpenID Connect Core §12.2 refresh response validation', () => {
  it('accepts the id_token the provider issues on refresh (same iss, sub, aud; no other nonce)', async () => {
    const { result, original, issued } = await refreshWith()
    expect(result.ok).toBe(true)
    expect(result.reason).toBe('refreshed')
    expect(issued.iss).toBe(original.iss)
    expect(issued.sub).toBe(original.sub)
    expect(issued.aud).toEqual(original.aud)
    // §12.2: SHOULD NOT carry a nonce; when it does, the original one (oidc-provider repeats it).
    if (issued.nonce !== undefined) expect(issued.nonce).toBe(original.nonce)
    const stored = decodeJwt(result.session!.tokens.idToken!)
    expect(stored.iat).toBe(issued.iat)
  })

  it('refuses a refreshed id_token whose iss differs from the original', async () => {
    expectRefused((await refreshWith(change({ iss: 'https://attacker.example' }))).result)
  })

  it('refuses a refreshed id_token whose sub differs from the original', async () => {
    expectRefused((await refreshWith(change({ sub: 'mallory' }))).result)
  })

  it('refuses a refreshed id_token whose aud differs from the original', async () => {
    const { result } = await refreshWith((parts) =>
      change({ aud: [parts.claims.aud as string, 'another-client'], azp: parts.claims.aud })(parts),
    )
    expectRefused(result)
  })

  it('refuses a refreshed id_token whose nonce differs from the original, accepts none or the original nonce', async () => {
    expect((await refreshWith(change({ nonce: undefined }))).result.reason).toBe('refreshed')
    expectRefused((await refreshWith(change({ nonce: 'another-nonce-another-nonce' }))).result)
    let original: string | undefined
    h.hooks.authorization_code = (parts) => {
      original = parts.claims.nonce as string
      return undefined
    }
    h.clock.seconds = 0
    const cookie = await h.login()
    h.hooks.refresh_token = change({ nonce: original })
    h.clock.seconds = 400
    const result = await h.auth.authenticate(h.request(cookie))
    expect(result.reason).toBe('refreshed')
  })

  it('refuses a refreshed id_token whose iat is before the original id_token was issued', async () => {
    const { result } = await refreshWith((parts) =>
      change({ iat: (parts.claims.iat as number) - 3600 })(parts),
    )
    expectRefused(result)
  })

  it('refuses a refreshed id_token whose auth_time differs from the original', async () => {
    const { result } = await refreshWith((parts) =>
      change({ auth_time: (parts.claims.auth_time as number) - 3600 })(parts),
    )
    expectRefused(result)
  })

  it('refuses a refreshed id_token that adds an azp the original did not have', async () => {
    const { result } = await refreshWith((parts) => change({ azp: parts.claims.aud })(parts))
    expectRefused(result)
  })

  it('refuses a refreshed id_token that fails §3.1.3.7 (expired, no iat)', async () => {
    expectRefused((await refreshWith(change({ iat: now() - 600, exp: now() - 300 }))).result)
    expectRefused((await refreshWith(change({ iat: undefined }))).result)
  })

  it('keeps the original id_token when the refresh response carries none', async () => {
    const cookie = await h.login()
    const first = await h.auth.authenticate(h.request(cookie))
    const original = first.session?.tokens.idToken
    expect(original).toBeDefined()
    h.hooks.refresh_token = () => null
    h.clock.seconds = 400
    const result = await h.auth.authenticate(h.request(cookie))
    expect(result.reason).toBe('refreshed')
    expect(result.session?.tokens.idToken).toBe(original)
  })
})

describe('RFC 9700 §4.14 refresh token protection', () => {
  it('uses the rotated refresh token and never presents a used one again (no invalid_grant)', async () => {
    const cookie = await h.login()
    const first = await h.auth.authenticate(h.request(cookie))
    const used = first.session!.tokens.refreshToken
    h.clock.seconds = 400
    const errors = h.provider.counters.tokenErrors.invalid_grant ?? 0
    // Concurrent requests with the same cookie: one refresh grant (single flight).
    const before = h.provider.counters.token.refresh_token ?? 0
    const results = await Promise.all(
      Array.from({ length: 5 }, () => h.auth.authenticate(h.request(cookie))),
    )
    expect(results.every((r) => r.reason === 'refreshed')).toBe(true)
    expect(h.provider.counters.token.refresh_token ?? 0).toBe(before + 1)
    const rotated = results[0]!.session!.tokens.refreshToken
    expect(rotated).toBeDefined()
    expect(rotated).not.toBe(used)
    expect(h.provider.counters.tokenErrors.invalid_grant ?? 0).toBe(errors)
  })

  it('keeps the refresh token out of the cookie in readable form (sealed session)', async () => {
    const cookie = await h.login()
    const result = await h.auth.authenticate(h.request(cookie))
    const refreshToken = result.session!.tokens.refreshToken!
    expect(refreshToken.length).toBeGreaterThan(16)
    expect(cookie).not.toContain(refreshToken)
    expect(cookie).not.toContain(Buffer.from(refreshToken).toString('base64url'))
    expect(cookie).not.toContain(result.session!.tokens.accessToken)
  })
})
