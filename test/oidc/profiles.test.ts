/**
 * Provider profiles (src/oidc/profiles.ts), one block per row of the provider table of the issue,
 * at the profile level, against the recorded discovery documents in test/fixtures/providers/.
 */
import { describe, expect, it } from 'vitest'

import {
  PROVIDER_NAMES,
  compareIssuers,
  detectProvider,
  isProviderName,
  providerProfile,
  resolveProviderProfile,
  type EndSessionInput,
  type ProviderMetadata,
  type ProviderName,
} from '../../src/oidc/profiles.js'
import { mergeTokens } from '../../src/tokens/merge.js'
import {
  VARIANTS,
  loadFixture,
  rewrite,
  type StandInProvider,
} from '../fixtures/providers/harness.js'

const DEFAULT_SCOPE = 'openid profile offline_access'
const POST_LOGOUT = 'https://app.example.com/'

const metadata = (provider: StandInProvider, variant?: string): ProviderMetadata =>
  loadFixture<ProviderMetadata>(
    provider,
    variant === undefined || variant === 'default' ? 'discovery' : `discovery-${variant}`,
  )

function endSession(
  provider: ProviderName,
  meta: ProviderMetadata,
  extra: Partial<EndSessionInput> = {},
): URL | undefined {
  return providerProfile(provider).endSessionUrl({
    metadata: meta,
    issuer: meta.issuer ?? 'https://issuer.example.com',
    clientId: 'client-1',
    postLogoutRedirectUri: POST_LOGOUT,
    state: 'st4te',
    ...extra,
  })
}

const scopeOf = (provider: ProviderName, meta?: ProviderMetadata, explicit = false) =>
  providerProfile(provider).scope({
    scope: DEFAULT_SCOPE,
    explicit,
    scopesSupported: meta?.scopes_supported,
  })

describe('detection', () => {
  const expected: Record<StandInProvider, ProviderName> = {
    google: 'google',
    cognito: 'cognito',
    entra: 'entra',
    auth0: 'auth0',
    okta: 'okta',
    keycloak: 'keycloak',
    zitadel: 'zitadel',
  }
  const cases = (Object.keys(VARIANTS) as StandInProvider[]).flatMap((provider) =>
    VARIANTS[provider].map((variant) => [provider, variant] as const),
  )

  it.each(cases)('%s (%s): from the recorded issuer and metadata', (provider, variant) => {
    const meta = metadata(provider, variant)
    expect(detectProvider(new URL(meta.issuer!.replace('{tenantid}', 'common')), meta)).toBe(
      expected[provider],
    )
  })

  it.each(cases)(
    '%s (%s): behind a custom domain, from the metadata alone',
    (provider, variant) => {
      const meta = rewrite(metadata(provider, variant), 'https://login.example.org')
      const detected = detectProvider(new URL(meta.issuer!), meta)
      // Google and Cognito publish nothing recognisable beyond their hosts: `provider` must say so.
      if (provider === 'google' || provider === 'cognito') expect(detected).toBe('generic')
      else expect(detected).toBe(expected[provider])
    },
  )

  it('hosts: national clouds, Okta preview, Auth0 regions, Zitadel cloud', () => {
    expect(detectProvider('https://login.microsoftonline.us/tenant/v2.0')).toBe('entra')
    expect(detectProvider('https://contoso.ciamlogin.com/tenant/v2.0')).toBe('entra')
    expect(detectProvider('https://dev-1.oktapreview.com/oauth2/default')).toBe('okta')
    expect(detectProvider('https://acme.eu.auth0.com/')).toBe('auth0')
    expect(detectProvider('https://x-1.zitadel.cloud')).toBe('zitadel')
    expect(detectProvider('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc')).toBe(
      'cognito',
    )
    expect(detectProvider('https://idp.example.com')).toBe('generic')
    expect(detectProvider('not a url')).toBe('generic')
  })

  it('an explicit provider wins (a Cognito custom domain); unknown names are refused', () => {
    expect(resolveProviderProfile('cognito', 'https://auth.example.com').name).toBe('cognito')
    expect(resolveProviderProfile(undefined, 'https://accounts.google.com').name).toBe('google')
    expect(isProviderName('zitadel')).toBe(true)
    expect(isProviderName('ping')).toBe(false)
    expect(PROVIDER_NAMES).toHaveLength(8)
    expect(() => providerProfile('ping' as ProviderName)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }),
    )
    for (const name of PROVIDER_NAMES) expect(Object.isFrozen(providerProfile(name))).toBe(true)
  })
})

describe('Google: invalid_scope for offline_access, refresh token only with access_type=offline', () => {
  const meta = metadata('google')

  it('drops offline_access from the default scope; an explicit scope is sent as configured', () => {
    expect(scopeOf('google', meta)).toBe('openid profile')
    expect(scopeOf('google', undefined)).toBe('openid profile')
    expect(scopeOf('google', meta, true)).toBe(DEFAULT_SCOPE)
  })

  it('asks access_type=offline when a refresh token is wanted; prompt=consent only to re-consent', () => {
    const profile = providerProfile('google')
    expect(profile.authorizationParameters({ scope: 'openid', offline: true })).toEqual({
      access_type: 'offline',
    })
    expect(profile.authorizationParameters({ scope: 'openid', offline: false })).toEqual({})
    expect(
      profile.authorizationParameters({
        scope: 'openid',
        offline: true,
        reconsent: true,
        prompt: 'select_account',
      }),
    ).toEqual({ access_type: 'offline', prompt: 'select_account consent' })
    expect(
      profile.authorizationParameters({ scope: 'openid', offline: true, reconsent: true }),
    ).toEqual({ access_type: 'offline', prompt: 'consent' })
    // prompt=none cannot be combined: left as it is.
    expect(
      profile.authorizationParameters({
        scope: 'openid',
        offline: true,
        reconsent: true,
        prompt: 'none',
      }).prompt,
    ).toBe('none')
  })

  it('has no end-session endpoint: local logout; never refreshes in a special way', () => {
    expect(meta.end_session_endpoint).toBeUndefined()
    expect(endSession('google', meta, { idTokenHint: 'x.y.z' })).toBeUndefined()
    expect(providerProfile('google').refreshParameters({ scope: 'openid' })).toEqual({})
  })

  it('time-based access: refresh_token_expires_in is the refresh token expiry', () => {
    const response = loadFixture('google', 'token-code-time-based')
    expect(providerProfile('google').refreshTokenExpiresAt(response, 1_000)).toBe(87_400)
    expect(
      providerProfile('google').refreshTokenExpiresAt(loadFixture('google', 'token-code'), 1_000),
    ).toBeUndefined()
  })
})

describe('Cognito: invalid_scope for offline_access; logout is /logout?client_id&logout_uri', () => {
  const meta = metadata('cognito')

  it('drops offline_access (not in scopes_supported either)', () => {
    expect(meta.scopes_supported).not.toContain('offline_access')
    expect(scopeOf('cognito', meta)).toBe('openid profile')
    expect(scopeOf('cognito')).toBe('openid profile')
  })

  it('logs out at the hosted-UI domain of authorization_endpoint, not the issuer host', () => {
    const url = endSession('cognito', meta, { idTokenHint: 'x.y.z' })!
    expect(url.origin).toBe('https://example-domain.auth.us-east-1.amazoncognito.com')
    expect(url.pathname).toBe('/logout')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'client-1',
      logout_uri: POST_LOGOUT,
    })
    expect(url.searchParams.has('post_logout_redirect_uri')).toBe(false)
  })

  it('keeps a path prefix of a rewritten host', () => {
    const rewritten = rewrite(meta, 'http://127.0.0.1:9')
    expect(endSession('cognito', rewritten)!.pathname).toBe(
      '/example-domain.auth.us-east-1.amazoncognito.com/logout',
    )
    expect(endSession('cognito', { issuer: meta.issuer! })).toBeUndefined()
  })
})

describe('Entra ID multi-tenant: discovery declares …/{tenantid}/v2.0', () => {
  const common = metadata('entra', 'common')
  const tenant = metadata('entra', 'tenant')
  const profile = providerProfile('entra')

  it('compareIssuers: common and organizations are the template, a tenant is exact, a typo is a mismatch', () => {
    expect(compareIssuers('https://login.microsoftonline.com/common/v2.0', common.issuer!)).toBe(
      'template',
    )
    expect(
      compareIssuers(
        'https://login.microsoftonline.com/organizations/v2.0/',
        metadata('entra', 'organizations').issuer!,
      ),
    ).toBe('template')
    expect(
      compareIssuers(
        'https://login.microsoftonline.com/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/v2.0',
        tenant.issuer!,
      ),
    ).toBe('match')
    expect(compareIssuers('https://login.microsoftonline.com/common/v2.0', tenant.issuer!)).toBe(
      'mismatch',
    )
    expect(compareIssuers('https://login.microsoftonline.com/common/v1.0', common.issuer!)).toBe(
      'mismatch',
    )
    expect(compareIssuers('https://login.microsoftonline.com/a/b/v2.0', common.issuer!)).toBe(
      'mismatch',
    )
    expect(compareIssuers('https://idp.example.com', 'https://idp.example.com/')).toBe('match')
    expect(compareIssuers('https://idp.example.com', 'https://idp.example.org')).toBe('mismatch')
    expect(compareIssuers('https://idp.example.com', 'not a url')).toBe('mismatch')
  })

  it('issuerMatches: iss must be the template with the token’s own tid', () => {
    const claims = loadFixture<{ iss: string; tid: string }>('entra', 'id-token-claims')
    expect(profile.issuerMatches!(common.issuer!, claims.iss, claims)).toBe(true)
    expect(profile.issuerMatches!(common.issuer!, claims.iss, { tid: 'other-tenant' })).toBe(false)
    expect(profile.issuerMatches!(common.issuer!, claims.iss, {})).toBe(false)
    expect(profile.issuerMatches!(common.issuer!, claims.iss, { tid: '../evil' })).toBe(false)
    expect(profile.issuerMatches!(tenant.issuer!, tenant.issuer!)).toBe(true)
    expect(providerProfile('generic').issuerMatches).toBeUndefined()
  })

  it('detects Entra from a templated issuer on any host', () => {
    expect(
      detectProvider('https://sts.example.com/common/v2.0', {
        issuer: 'https://sts.example.com/{tenantid}/v2.0',
      }),
    ).toBe('entra')
  })
})

describe('Entra ID: logout_hint is the login_hint claim; refresh sends scope', () => {
  const meta = metadata('entra', 'common')
  const claims = loadFixture<Record<string, unknown>>('entra', 'id-token-claims')

  it('sends logout_hint = login_hint claim and post_logout_redirect_uri, never sub', () => {
    const url = endSession('entra', meta, { idTokenClaims: claims, sub: String(claims.sub) })!
    expect(url.href.startsWith(meta.end_session_endpoint!)).toBe(true)
    expect(Object.fromEntries(url.searchParams)).toEqual({
      post_logout_redirect_uri: POST_LOGOUT,
      logout_hint: claims.login_hint,
    })
    const without = endSession('entra', meta, { sub: 'someone' })!
    expect(without.searchParams.has('logout_hint')).toBe(false)
  })

  it('refresh parameters carry the login scope (the v2.0 refresh grant documents it as required)', () => {
    expect(providerProfile('entra').refreshParameters({ scope: DEFAULT_SCOPE })).toEqual({
      scope: DEFAULT_SCOPE,
    })
    expect(scopeOf('entra', meta)).toBe(DEFAULT_SCOPE) // offline_access is advertised
  })
})

describe('Auth0: end_session_endpoint only with the tenant setting, else /v2/logout', () => {
  it('with RP-Initiated Logout discovery: the standard /oidc/logout', () => {
    const url = endSession('auth0', metadata('auth0', 'rp-logout'), { idTokenHint: 'h.i.nt' })!
    expect(url.pathname).toBe('/oidc/logout')
    expect(url.searchParams.get('id_token_hint')).toBe('h.i.nt')
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe(POST_LOGOUT)
    expect(url.searchParams.get('state')).toBe('st4te')
  })

  it('without it: /v2/logout?client_id&returnTo on the issuer (not a local-only logout)', () => {
    const meta = metadata('auth0', 'no-rp-logout')
    const url = endSession('auth0', meta, { idTokenHint: 'h.i.nt' })!
    expect(url.href).toBe(
      `https://example-tenant.us.auth0.com/v2/logout?client_id=client-1&returnTo=${encodeURIComponent(POST_LOGOUT)}`,
    )
    expect(endSession('generic', meta)).toBeUndefined()
  })
})

describe('Okta: /v1/logout requires id_token_hint', () => {
  const meta = metadata('okta', 'custom')

  it('with a valid hint: id_token_hint, post_logout_redirect_uri, state', () => {
    const url = endSession('okta', meta, { idTokenHint: 'h.i.nt' })!
    expect(url.pathname).toBe('/oauth2/default/v1/logout')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      id_token_hint: 'h.i.nt',
      post_logout_redirect_uri: POST_LOGOUT,
      state: 'st4te',
    })
  })

  it('no hint, or an expired one that could not be refreshed: local logout, not an Okta error page', () => {
    expect(endSession('okta', meta)).toBeUndefined()
    expect(endSession('okta', meta, { sub: 'u' })).toBeUndefined()
    expect(
      endSession('okta', meta, { idTokenHint: 'h.i.nt', idTokenExpired: true }),
    ).toBeUndefined()
  })
})

describe('Keycloak: refresh_expires_in; ≥ 25 drops nonce on refresh', () => {
  const profile = providerProfile('keycloak')

  it('refresh_expires_in is when the refresh token dies; 0 is an offline token', () => {
    expect(profile.refreshTokenExpiresAt(loadFixture('keycloak', 'token-code'), 1_000)).toBe(2_800)
    expect(
      profile.refreshTokenExpiresAt(loadFixture('keycloak', 'token-code-offline'), 1_000),
    ).toBeUndefined()
    expect(profile.refreshTokenExpiresAt({ refresh_expires_in: -30 }, 1_000)).toBe(1_000)
    expect(profile.refreshTokenExpiresAt({ refresh_expires_in: '600' }, 1_000)).toBe(1_600)
    expect(profile.refreshTokenExpiresAt({ refresh_expires_in: 'soon' }, 1_000)).toBeUndefined()
    expect(profile.refreshTokenExpiresAt({ refresh_expires_in: Infinity }, 1_000)).toBeUndefined()
    // Every profile reads the signal: a provider that sends it is believed, detected or not.
    expect(
      providerProfile('generic').refreshTokenExpiresAt({ refresh_expires_in: 60 }, 1_000),
    ).toBe(1_060)
  })

  it('standard logout with client_id and id_token_hint (or logout_hint = sub without one)', () => {
    const meta = metadata('keycloak', '25')
    const url = endSession('keycloak', meta, { idTokenHint: 'h.i.nt' })!
    expect(url.pathname).toBe('/realms/demo/protocol/openid-connect/logout')
    expect(url.searchParams.get('client_id')).toBe('client-1')
    const noHint = endSession('keycloak', meta, { sub: 'user-1' })!
    expect(noHint.searchParams.get('logout_hint')).toBe('user-1')
  })

  it('a refreshed id_token without nonce (Keycloak ≥ 25) merges; one with another nonce does not', () => {
    const jwt = (claims: Record<string, unknown>) =>
      `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
    const base = { iss: 'https://kc/realms/demo', sub: 's', aud: 'c', azp: 'c', auth_time: 1 }
    const current = { accessToken: 'a', tokenType: 'Bearer', idToken: jwt({ ...base, nonce: 'n' }) }
    const next = { accessToken: 'b', tokenType: 'Bearer', idToken: jwt(base) }
    expect(mergeTokens(current, next).idToken).toBe(next.idToken)
    const other = { accessToken: 'b', tokenType: 'Bearer', idToken: jwt({ ...base, nonce: 'x' }) }
    expect(() => mergeTokens(current, other)).toThrow(/nonce/)
  })

  it('the logout-token type differs by version (the profile changes no validation rule)', () => {
    expect(loadFixture<{ header: { typ: string } }>('keycloak', 'logout-token-24').header.typ).toBe(
      'JWT',
    )
    expect(loadFixture<{ header: { typ: string } }>('keycloak', 'logout-token-25').header.typ).toBe(
      'logout+jwt',
    )
    expect(providerProfile('keycloak').issuerMatches).toBeUndefined()
  })
})

describe('Google: consent again for a new refresh token', () => {
  it('only the Google profile asks, and it is known from the issuer alone', () => {
    expect(providerProfile('google').reconsent).toBe(true)
    for (const name of PROVIDER_NAMES.filter((n) => n !== 'google'))
      expect(providerProfile(name).reconsent).toBe(false)
    expect(detectProvider(new URL('https://accounts.google.com'))).toBe('google')
  })
})

describe('Zitadel: a refresh revokes the current access token', () => {
  it('refresh.background may not hand out the current access token', () => {
    expect(providerProfile('zitadel').backgroundRefresh).toBe(false)
    for (const name of PROVIDER_NAMES.filter((n) => n !== 'zitadel'))
      expect(providerProfile(name).backgroundRefresh).toBe(true)
  })
})

describe('generic: the metadata decides', () => {
  it('drops offline_access only when scopes_supported is published without it', () => {
    expect(scopeOf('generic', { scopes_supported: ['openid', 'profile'] })).toBe('openid profile')
    expect(scopeOf('generic', { scopes_supported: ['openid', 'offline_access'] })).toBe(
      DEFAULT_SCOPE,
    )
    expect(scopeOf('generic', {})).toBe(DEFAULT_SCOPE)
    expect(scopeOf('generic', { scopes_supported: ['openid'] }, true)).toBe(DEFAULT_SCOPE)
  })

  it('RP-Initiated Logout 1.0: id_token_hint, else logout_hint = sub; none without an endpoint', () => {
    const meta = { end_session_endpoint: 'https://idp.example.com/logout?x=1' }
    const hinted = endSession('generic', meta, { idTokenHint: 'h.i.nt', sub: 'u' })!
    expect(hinted.searchParams.get('x')).toBe('1')
    expect(hinted.searchParams.get('id_token_hint')).toBe('h.i.nt')
    expect(hinted.searchParams.has('logout_hint')).toBe(false)
    expect(endSession('generic', meta, { sub: 'u' })!.searchParams.get('logout_hint')).toBe('u')
    expect(endSession('generic', {})).toBeUndefined()
    expect(
      providerProfile('generic').authorizationParameters({ scope: 'openid', offline: true }),
    ).toEqual({})
  })
})
