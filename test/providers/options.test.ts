/**
 * The options of provider profiles: `provider` and `logout.endSession` (validated at construction;
 * the hook before the profile at every logout), and the examples' `OIDC_PROVIDER`.
 */
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'

import {
  createOidcSession,
  type EndSessionHook,
  type EndSessionInput,
  type OidcSessionConfig,
} from 'oidc-session'
import { providerFromEnv } from '../../examples/express/app.js'
import { POST_LOGOUT, providerBeds } from './support.js'

const beds = providerBeds()

const base: OidcSessionConfig = {
  issuer: 'https://idp.example.com',
  client: { id: 'app' },
  redirectUri: 'https://app.example.com/callback',
  secrets: ['options-tests-secret-options-tests-secret-012'],
}

describe('construction', () => {
  it('accepts every profile name and refuses anything else', () => {
    for (const provider of ['generic', 'google', 'entra', 'zitadel'] as const)
      expect(() => createOidcSession({ ...base, provider })).not.toThrow()
    for (const provider of ['Google', 'github', '', 1])
      expect(() =>
        createOidcSession({ ...base, provider } as unknown as OidcSessionConfig),
      ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }))
  })

  it('logout.endSession must be a function', () => {
    expect(() =>
      createOidcSession({ ...base, logout: { endSession: () => undefined } }),
    ).not.toThrow()
    expect(() =>
      createOidcSession({
        ...base,
        logout: { endSession: 'https://idp.example.com/logout' },
      } as unknown as OidcSessionConfig),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }))
  })
})

describe('logout.endSession (on a Keycloak stand-in)', () => {
  it('gets what the session knows, and its URL wins over the profile', async () => {
    const inputs: EndSessionInput[] = []
    const bed = await beds.start({
      provider: 'keycloak',
      config: {
        logout: {
          endSession: async (input) => {
            inputs.push(input)
            const url = new URL('https://sso.example.com/custom-logout')
            url.searchParams.set('to', input.postLogoutRedirectUri)
            return url
          },
        },
      },
    })
    await bed.login()
    const session = (await bed.authenticate()).session!
    const response = await bed.logout()
    expect(response.headers.get('location')).toBe(
      `https://sso.example.com/custom-logout?to=${encodeURIComponent(POST_LOGOUT)}`,
    )
    expect(inputs).toHaveLength(1)
    const [input] = inputs
    expect(input).toMatchObject({
      issuer: bed.standIn.issuer,
      clientId: bed.standIn.client.id,
      idTokenHint: session.tokens.idToken,
      idTokenExpired: false,
      sub: session.sub,
      postLogoutRedirectUri: POST_LOGOUT,
    })
    expect(input?.metadata.end_session_endpoint).toBe(bed.standIn.discovery.end_session_endpoint)
    expect(input?.idTokenClaims).toEqual(decodeJwt(session.tokens.idToken!))
    expect(typeof input?.state).toBe('string')
  })

  it.each([
    ['an absolute URL string', 'https://sso.example.com/bye', 'https://sso.example.com/bye'],
    ['false: a local logout', false, POST_LOGOUT],
  ] as const)('%s', async (_, answer, location) => {
    const bed = await beds.start({
      provider: 'keycloak',
      config: { logout: { endSession: () => answer } },
    })
    await bed.login()
    expect((await bed.logout()).headers.get('location')).toBe(location)
    expect(bed.warnings).toEqual([])
  })

  it('undefined: the profile decides', async () => {
    const bed = await beds.start({
      provider: 'cognito',
      config: { logout: { endSession: () => undefined } },
    })
    await bed.login()
    const location = new URL((await bed.logout()).headers.get('location')!)
    expect(location.pathname.endsWith('/logout')).toBe(true)
    expect(location.searchParams.get('logout_uri')).toBe(POST_LOGOUT)
  })

  const throwing: EndSessionHook = () =>
    Promise.reject(new TypeError('boom, a secret-looking value'))
  const relative: EndSessionHook = () => '/logout'
  const script: EndSessionHook = () => 'javascript:alert(1)'
  it.each([
    ['throws', throwing, 'threw'],
    ['answers a relative URL', relative, 'no absolute http(s) URL'],
    ['answers a javascript: URL', script, 'no absolute http(s) URL'],
  ] as const)('a hook that %s ends in a local logout, with a warning', async (_, hook, warning) => {
    const bed = await beds.start({ provider: 'keycloak', config: { logout: { endSession: hook } } })
    await bed.login()
    const response = await bed.logout()
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(POST_LOGOUT)
    expect(bed.warnings).toHaveLength(1)
    expect(bed.warnings[0]).toContain(warning)
    expect(bed.warnings[0]).not.toContain('boom')
    expect((await bed.authenticate()).ok).toBe(false)
  })
})

describe('providerFromEnv (the examples’ OIDC_PROVIDER)', () => {
  it('reads a profile name, nothing for unset or empty, and refuses others naming the accepted values', () => {
    expect(providerFromEnv({ OIDC_PROVIDER: 'cognito' })).toBe('cognito')
    expect(providerFromEnv({ OIDC_PROVIDER: ' Keycloak ' })).toBe('keycloak')
    expect(providerFromEnv({})).toBeUndefined()
    expect(providerFromEnv({ OIDC_PROVIDER: '' })).toBeUndefined()
    expect(() => providerFromEnv({ OIDC_PROVIDER: 'github' })).toThrow(/google, cognito/)
  })
})
