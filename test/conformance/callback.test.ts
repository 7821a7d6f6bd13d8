/**
 * Conformance at the callback, against the real provider: RFC 9207 (`iss` in the authorization
 * response), OpenID Connect Core 1.0 §3.1.3.7 (the id_token of the code exchange) and RFC 9700
 * §2.1.1 / RFC 7636 (authorization code injection). The provider's own answers are the happy
 * path; the id_tokens it never issues (another issuer, audience, nonce…) are the provider's answer
 * with its id_token replaced by one signed with the provider's own key (see `support.ts`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import { CallbackError } from 'oidc-session'
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

/** A login whose callback is completed as the provider answered it: the response or error. */
async function loginWith(
  hook?: IdTokenHook,
  authorizationParams?: Record<string, string>,
): Promise<Response | Error> {
  if (hook) h.hooks.authorization_code = hook
  const { callback, cookie } = await h.authorize('alice', authorizationParams)
  return h.finish(callback, cookie)
}

function expectLogin(result: Response | Error): void {
  if (result instanceof Error) throw result
  expect(result.status).toBe(302)
  expect(result.headers.getSetCookie().some((line) => line.startsWith('oidc_session='))).toBe(true)
}

function expectRefused(result: Response | Error, code = 'ERR_CALLBACK_INVALID'): CallbackError {
  expect(result).toBeInstanceOf(CallbackError)
  const error = result as CallbackError
  expect(error.code).toBe(code)
  // No session is created.
  expect(error.headers.getSetCookie().some((line) => line.startsWith('oidc_session='))).toBe(false)
  return error
}

/** The claims changed by `changes` (`undefined` deletes a claim). */
const claims =
  (changes: Record<string, unknown>, header: Partial<IdTokenParts['header']> = {}) =>
  (parts: IdTokenParts): IdTokenParts => {
    const next = { ...parts.claims, ...changes }
    for (const [name, value] of Object.entries(changes)) if (value === undefined) delete next[name]
    return { header: { ...parts.header, ...header }, claims: next }
  }

const now = () => Math.floor(Date.now() / 1000)

describe('RFC 9207 authorization server issuer identification', () => {
  it('accepts the iss the provider sends in the authorization response', async () => {
    const { callback, cookie } = await h.authorize()
    expect(callback.searchParams.get('iss')).toBe(h.provider.issuer)
    expectLogin(await h.finish(callback, cookie))
  })

  it('refuses an authorization response whose iss names another issuer, without redeeming the code', async () => {
    const { callback, cookie } = await h.authorize()
    callback.searchParams.set('iss', 'https://attacker.example')
    const before = h.provider.counters.token.authorization_code ?? 0
    const error = expectRefused(await h.finish(callback, cookie), 'ERR_CALLBACK_INVALID')
    expect(error.message).toMatch(/another issuer/)
    expect(h.provider.counters.token.authorization_code ?? 0).toBe(before)
  })

  it('refuses an authorization response without iss from a provider that advertises authorization_response_iss_parameter_supported', async () => {
    const { callback, cookie } = await h.authorize()
    callback.searchParams.delete('iss')
    const before = h.provider.counters.token.authorization_code ?? 0
    expectRefused(await h.finish(callback, cookie), 'ERR_CALLBACK_INVALID')
    expect(h.provider.counters.token.authorization_code ?? 0).toBe(before)
  })

  it('refuses an error response whose iss names another issuer (not reported as the provider error)', async () => {
    const { callback, cookie } = await h.authorize()
    const forged = new URL(callback)
    forged.search = ''
    forged.searchParams.set('error', 'access_denied')
    forged.searchParams.set('state', callback.searchParams.get('state')!)
    forged.searchParams.set('iss', 'https://attacker.example')
    expectRefused(await h.finish(forged, cookie), 'ERR_CALLBACK_INVALID')
  })
})

describe('OpenID Connect Core §3.1.3.7 ID token validation at the code exchange', () => {
  it('accepts the id_token the provider issued (iss, aud, exp, iat, nonce, RS256)', async () => {
    let seen: IdTokenParts | undefined
    const result = await loginWith((parts) => {
      seen = parts
      return undefined
    })
    expectLogin(result)
    expect(seen?.header.alg).toBe('RS256')
    expect(seen?.claims.aud).toBe(h.clientId)
    expect(typeof seen?.claims.nonce).toBe('string')
  })

  it('refuses an id_token whose iss is not the issuer', async () => {
    expectRefused(await loginWith(claims({ iss: 'https://attacker.example' })))
  })

  it('refuses an id_token whose aud does not contain the client_id', async () => {
    expectRefused(await loginWith(claims({ aud: 'another-client' })))
    expectRefused(await loginWith(claims({ aud: ['another-client', 'a-third-client'] })))
  })

  it('refuses an id_token with several audiences and no azp (untrusted audiences)', async () => {
    expectRefused(await loginWith((p) => claims({ aud: [h.clientId, 'another-client'] })(p)))
  })

  it('refuses an id_token with several audiences whose azp is another client', async () => {
    expectRefused(
      await loginWith((p) =>
        claims({ aud: [h.clientId, 'another-client'], azp: 'another-client' })(p),
      ),
    )
  })

  it('accepts an id_token with several audiences whose azp is the client_id', async () => {
    expectLogin(
      await loginWith((p) => claims({ aud: [h.clientId, 'another-client'], azp: h.clientId })(p)),
    )
  })

  it('refuses an id_token whose azp names another client (single audience)', async () => {
    const error = expectRefused(await loginWith(claims({ azp: 'another-client' })))
    expect(error.message).toMatch(/azp/)
  })

  it('refuses an expired id_token (exp)', async () => {
    expectRefused(await loginWith(claims({ iat: now() - 600, exp: now() - 300 })))
    expectRefused(await loginWith(claims({ exp: undefined })))
  })

  it('refuses an id_token without iat, or with an iat that is not a number', async () => {
    expectRefused(await loginWith(claims({ iat: undefined })))
    expectRefused(await loginWith(claims({ iat: 'yesterday' })))
  })

  it('refuses an id_token without the nonce of the authorization request, or with another', async () => {
    expectRefused(await loginWith(claims({ nonce: undefined })))
    expectRefused(await loginWith(claims({ nonce: 'another-nonce-another-nonce' })))
  })

  it('refuses an id_token signed with an algorithm the provider does not advertise (HS256, none)', async () => {
    const hs = (parts: IdTokenParts) => {
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
      return `${encode({ alg: 'HS256' })}.${encode(parts.claims)}.c2lnbmF0dXJl`
    }
    expectRefused(await loginWith(hs))
    const none = (parts: IdTokenParts) =>
      `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(parts.claims)).toString('base64url')}.`
    expectRefused(await loginWith(none))
  })

  it('refuses an encrypted id_token (no decryption key is registered)', async () => {
    expectRefused(await loginWith(() => 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d'))
  })

  it('keeps an acr the provider asserts in the session id_token, for the application to judge', async () => {
    const result = await loginWith(claims({ acr: 'urn:example:loa:2' }))
    expectLogin(result)
    const cookie = (result as Response).headers
      .getSetCookie()
      .map((line) => line.split(';')[0]!)
      .filter((pair) => !pair.endsWith('='))
      .join('; ')
    const session = await h.auth.authenticate(h.request(cookie))
    expect(decodeJwt(session.session!.tokens.idToken!).acr).toBe('urn:example:loa:2')
  })

  it('refuses an id_token without sub', async () => {
    expectRefused(await loginWith(claims({ sub: undefined })))
  })

  it('refuses an id_token whose auth_time is older than the max_age the login asked for', async () => {
    expectRefused(await loginWith(claims({ auth_time: now() - 3600 }), { max_age: '60' }))
    expectLogin(await loginWith(claims({ auth_time: now() - 5 }), { max_age: '60' }))
  })
})

describe('RFC 9700 §2.1.1 authorization code injection (PKCE, RFC 7636)', () => {
  it("refuses a code redeemed with another transaction's PKCE verifier (invalid_grant at the provider)", async () => {
    // The victim's authorization response (code) is injected into the attacker's own login.
    const victim = await h.authorize('victim')
    const attacker = await h.authorize('attacker')
    const injected = new URL(attacker.callback)
    injected.searchParams.set('code', victim.callback.searchParams.get('code')!)
    const before = h.provider.counters.tokenErrors.invalid_grant ?? 0
    expectRefused(await h.finish(injected, attacker.cookie))
    expect(h.provider.counters.tokenErrors.invalid_grant ?? 0).toBe(before + 1)
    // The victim's own transaction may still redeem it: the code was not burnt by the injection.
    expectLogin(await h.finish(victim.callback, victim.cookie))
  })

  it('sends a fresh S256 code_challenge, state and nonce with every authorization request', async () => {
    const one = await h.authorize()
    const two = await h.authorize()
    for (const name of ['code_challenge', 'state', 'nonce']) {
      expect(one.location.searchParams.get(name)).toMatch(/^[A-Za-z0-9_-]{22,}$/)
      expect(one.location.searchParams.get(name)).not.toBe(two.location.searchParams.get(name))
    }
    expect(one.location.searchParams.get('code_challenge_method')).toBe('S256')
    expect(one.location.searchParams.get('response_type')).toBe('code')
  })

  it('refuses a callback whose state belongs to no transaction of this browser (CSRF)', async () => {
    const victim = await h.authorize('victim')
    const attacker = await h.authorize('attacker')
    // The attacker's complete authorization response, delivered to the victim's browser.
    expectRefused(await h.finish(attacker.callback, victim.cookie), 'ERR_CALLBACK_NO_TRANSACTION')
  })
})
