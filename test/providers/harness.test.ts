/**
 * The provider stand-ins (test/fixtures/providers/harness.ts), driven by `oauth4webapi` directly —
 * no library code but the pure profiles — so phase 2 can rely on them: discovery (exact issuer, or
 * Entra's `{tenantid}` template), the code grant with a validated id_token, the refresh grant with
 * each provider's rotation, id_token and error behaviour, logout endpoints and logout tokens.
 */
import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
import { setupServer } from 'msw/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { compareIssuers, providerProfile } from '../../src/oidc/profiles.js'
import {
  VARIANTS,
  createProviderStandIn,
  loadFixture,
  type ProviderStandIn,
  type StandInOptions,
  type StandInProvider,
} from '../fixtures/providers/harness.js'

const REDIRECT_URI = 'http://127.0.0.1:3000/callback'
const POST_LOGOUT = 'http://127.0.0.1:3000/'
const DEFAULT_SCOPE = 'openid profile offline_access'
const insecure = { [oauth.allowInsecureRequests]: true } as const

// oauth4webapi's hooks for templated issuers (exported, not in its .d.ts; openid-client v6 uses them).
const internals = oauth as unknown as { _nodiscoverycheck: symbol; _expectedIssuer: symbol }

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterAll(() => server.close())

async function standInFor(options: StandInOptions): Promise<ProviderStandIn> {
  const standIn = await createProviderStandIn({
    client: { redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [POST_LOGOUT] },
    ...options,
  })
  server.resetHandlers(...standIn.handlers)
  return standIn
}

/** Discovery the way phase 2's core should do it (see the report). */
async function discover(standIn: ProviderStandIn): Promise<oauth.AuthorizationServer> {
  const configured = new URL(standIn.issuer)
  const response = await oauth.discoveryRequest(configured, { ...insecure, algorithm: 'oidc' })
  const as = await oauth.processDiscoveryResponse(
    internals._nodiscoverycheck as unknown as URL,
    response,
  )
  const comparison = compareIssuers(configured, as.issuer)
  if (comparison === 'mismatch') throw new Error(`issuer mismatch: ${as.issuer}`)
  if (comparison === 'template') {
    const profile = providerProfile('entra')
    const template = as.issuer
    ;(as as unknown as Record<symbol, unknown>)[internals._expectedIssuer] = (result: {
      claims: { iss?: unknown; tid?: unknown }
    }) =>
      // The expected issuer is the template with the token's own tid (when it is a tenant id).
      profile.issuerMatches?.(template, String(result.claims.iss), result.claims)
        ? String(result.claims.iss)
        : template
  }
  return as
}

interface Login {
  as: oauth.AuthorizationServer
  client: oauth.Client
  auth: oauth.ClientAuth
  result: oauth.TokenEndpointResponse
  claims: oauth.IDToken
  nonce: string
}

async function login(
  standIn: ProviderStandIn,
  options: {
    scope?: string
    explicit?: boolean
    reconsent?: boolean
    as?: oauth.AuthorizationServer
  } = {},
): Promise<Login> {
  const as = options.as ?? (await discover(standIn))
  const client: oauth.Client = { client_id: standIn.client.id }
  const auth = oauth.ClientSecretBasic(standIn.client.secret)
  const profile = providerProfile(standIn.provider)
  const configured = options.scope ?? DEFAULT_SCOPE
  const scope = profile.scope({
    scope: configured,
    explicit: options.explicit ?? false,
    scopesSupported: as.scopes_supported,
  })
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const nonce = oauth.generateRandomNonce()
  const url = new URL(as.authorization_endpoint!)
  const extra = profile.authorizationParameters({
    scope,
    offline: configured.split(' ').includes('offline_access'),
    reconsent: options.reconsent,
  })
  for (const [key, value] of Object.entries({
    ...extra,
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope,
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(key, value)
  const callback = await standIn.authorize(url)
  if (!callback) throw new Error('the provider answered an error page')
  const params = oauth.validateAuthResponse(as, client, callback, state)
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    auth,
    params,
    REDIRECT_URI,
    verifier,
    insecure,
  )
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: nonce,
    requireIdToken: true,
  })
  return { as, client, auth, result, claims: oauth.getValidatedIdTokenClaims(result)!, nonce }
}

async function refresh(
  { as, client, auth }: Login,
  refreshToken: string,
  parameters?: Record<string, string>,
): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, {
    ...insecure,
    ...(parameters ? { additionalParameters: parameters } : {}),
  })
  return oauth.processRefreshTokenResponse(as, client, response)
}

async function refreshError(
  session: Login,
  refreshToken: string,
  parameters?: Record<string, string>,
) {
  try {
    await refresh(session, refreshToken, parameters)
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) return error
    throw error
  }
  throw new Error('the refresh succeeded')
}

const profileRefreshParameters = (standIn: ProviderStandIn, login: Login) =>
  providerProfile(standIn.provider).refreshParameters({
    scope: String(login.result.scope ?? DEFAULT_SCOPE),
  })

describe('every recorded provider and variant: discovery, code grant, refresh', () => {
  const cases = (Object.keys(VARIANTS) as StandInProvider[]).flatMap((provider) =>
    VARIANTS[provider].map((variant) => [provider, variant] as const),
  )
  it.each(cases)('%s (%s)', async (provider, variant) => {
    const standIn = await standInFor({ provider, variant })
    const session = await login(standIn)
    expect(session.claims.sub).toBe(standIn.user.sub)
    expect(session.claims.aud).toBe(standIn.client.id)
    expect(standIn.counters.discovery).toBe(1)
    expect(standIn.counters.token.authorization_code).toBe(1)
    const refreshToken = session.result.refresh_token
    expect(typeof refreshToken).toBe('string')
    const next = await refresh(session, refreshToken!, profileRefreshParameters(standIn, session))
    expect(typeof next.access_token).toBe('string')
    expect(next.access_token).not.toBe(session.result.access_token)
    if (standIn.behaviour.rotation === 'always') {
      expect(typeof next.refresh_token).toBe('string')
      expect(next.refresh_token).not.toBe(refreshToken)
    } else expect(next.refresh_token).toBeUndefined()
    expect(typeof next.id_token === 'string').toBe(standIn.behaviour.idTokenOnRefresh)
    if (next.id_token) expect(oauth.getValidatedIdTokenClaims(next)?.sub).toBe(standIn.user.sub)
    expect(standIn.counters.token.refresh_token).toBe(1)
  })
})

describe('Google', () => {
  it('refuses offline_access with an error page, and the profile does not send it', async () => {
    const standIn = await standInFor({ provider: 'google' })
    const as = await discover(standIn)
    const raw = new URL(as.authorization_endpoint!)
    raw.search = new URLSearchParams({
      client_id: standIn.client.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: DEFAULT_SCOPE,
      state: 's',
    }).toString()
    const response = await fetch(raw, { redirect: 'manual' })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('invalid_scope')
    expect(standIn.counters.authorizationErrors).toBe(1)

    const session = await login(standIn, { as })
    expect(session.result.scope).toBe('openid profile')
    expect(typeof session.result.refresh_token).toBe('string')
  })

  it('issues a refresh token at the first consent only, again with prompt=consent; it never rotates', async () => {
    const standIn = await standInFor({ provider: 'google' })
    const first = await login(standIn)
    const refreshToken = first.result.refresh_token!
    const second = await login(standIn, { as: first.as })
    expect(second.result.refresh_token).toBeUndefined()
    const third = await login(standIn, { as: first.as, reconsent: true })
    expect(typeof third.result.refresh_token).toBe('string')
    // The same refresh token works again and again; the answer has no refresh_token, no id_token.
    const a = await refresh(first, refreshToken)
    const b = await refresh(first, refreshToken)
    expect(a.refresh_token).toBeUndefined()
    expect(a.id_token).toBeUndefined()
    expect(b.access_token).not.toBe(a.access_token)
  })

  it('time-based access: refresh_token_expires_in', async () => {
    const standIn = await standInFor({
      provider: 'google',
      behaviour: { refreshTokenExpiresIn: 3600 },
    })
    const session = await login(standIn)
    expect(session.result.refresh_token_expires_in).toBe(3600)
    expect(loadFixture('google', 'token-code-time-based').refresh_token_expires_in).toBe(86400)
  })
})

describe('Cognito', () => {
  it('answers offline_access with an error redirect that carries no state', async () => {
    const standIn = await standInFor({ provider: 'cognito' })
    const as = await discover(standIn)
    const url = new URL(as.authorization_endpoint!)
    url.search = new URLSearchParams({
      client_id: standIn.client.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: DEFAULT_SCOPE,
      state: 'abc',
    }).toString()
    const callback = await standIn.authorize(url)
    expect(callback?.searchParams.get('error')).toBe('invalid_request')
    expect(callback?.searchParams.get('error_description')).toBe('invalid_scope')
    expect(callback?.searchParams.has('state')).toBe(false)
    expect(() =>
      oauth.validateAuthResponse(as, { client_id: standIn.client.id }, callback!, 'abc'),
    ).toThrow()
  })

  it('logs out at the hosted-UI domain with logout_uri; post_logout_redirect_uri ends on an error page', async () => {
    const standIn = await standInFor({ provider: 'cognito' })
    const session = await login(standIn)
    const profile = providerProfile('cognito')
    const url = profile.endSessionUrl({
      metadata: session.as,
      issuer: standIn.issuer,
      clientId: standIn.client.id,
      postLogoutRedirectUri: POST_LOGOUT,
      state: 'xyz',
    })!
    expect(url.pathname).toBe('/example-domain.auth.us-east-1.amazoncognito.com/logout')
    const ok = await fetch(url, { redirect: 'manual' })
    expect(ok.status).toBe(302)
    expect(ok.headers.get('location')).toBe(POST_LOGOUT)
    const spec = new URL(url)
    spec.search = new URLSearchParams({
      client_id: standIn.client.id,
      post_logout_redirect_uri: POST_LOGOUT,
    }).toString()
    const error = await fetch(spec, { redirect: 'manual' })
    expect(error.status).toBe(400)
    expect(standIn.counters.endSessionErrors).toBe(1)
  })
})

describe('Entra ID', () => {
  it('common: an exact issuer check refuses discovery; the template check plus tid validates the tokens', async () => {
    const standIn = await standInFor({ provider: 'entra', variant: 'common' })
    const strict = await oauth.discoveryRequest(new URL(standIn.issuer), insecure)
    await expect(
      oauth.processDiscoveryResponse(new URL(standIn.issuer), strict),
    ).rejects.toMatchObject({
      code: oauth.JSON_ATTRIBUTE_COMPARISON,
    })

    const session = await login(standIn)
    expect(session.as.issuer).toContain('{tenantid}')
    expect(session.claims.tid).toBe(standIn.tenantId)
    expect(session.claims.iss).toBe(session.as.issuer.replace('{tenantid}', standIn.tenantId))
    expect(typeof session.claims.login_hint).toBe('string')

    // Without the hook, the same response is refused: iss is not the template.
    const plain = { ...session.as }
    delete (plain as Record<symbol, unknown>)[internals._expectedIssuer]
    const again = await standInFor({ provider: 'entra', variant: 'common' })
    await expect(login(again, { as: plain })).rejects.toMatchObject({
      code: oauth.JWT_CLAIM_COMPARISON,
    })
  })

  it('a token whose tid does not match its iss is refused', async () => {
    const standIn = await standInFor({ provider: 'entra', variant: 'organizations' })
    const as = await discover(standIn)
    const profile = providerProfile('entra')
    expect(
      profile.issuerMatches?.(as.issuer, as.issuer.replace('{tenantid}', 'other'), {
        tid: standIn.tenantId,
      }),
    ).toBe(false)
  })

  it('refresh needs scope; the old refresh token stays valid after rotation', async () => {
    const standIn = await standInFor({ provider: 'entra', variant: 'tenant' })
    const session = await login(standIn)
    const refreshToken = session.result.refresh_token!
    const missing = await refreshError(session, refreshToken)
    expect(missing.error).toBe('invalid_request')
    expect(missing.cause).toMatchObject({ error_codes: [900144] })
    const parameters = profileRefreshParameters(standIn, session)
    expect(parameters.scope).toBeDefined()
    const next = await refresh(session, refreshToken, parameters)
    expect(next.refresh_token).not.toBe(refreshToken)
    const old = await refresh(session, refreshToken, parameters)
    expect(typeof old.access_token).toBe('string')
  })
})

describe('Auth0', () => {
  it('breach detection: reusing a rotated refresh token revokes the family', async () => {
    const standIn = await standInFor({ provider: 'auth0' })
    const session = await login(standIn)
    const first = session.result.refresh_token!
    const next = await refresh(session, first)
    const reuse = await refreshError(session, first)
    expect(reuse.error).toBe('invalid_grant')
    expect((await refreshError(session, next.refresh_token!)).error).toBe('invalid_grant')
  })

  it('end_session_endpoint only with the tenant setting; /v2/logout otherwise', async () => {
    for (const variant of ['rp-logout', 'no-rp-logout'] as const) {
      const standIn = await standInFor({ provider: 'auth0', variant })
      const session = await login(standIn)
      const url = providerProfile('auth0').endSessionUrl({
        metadata: session.as,
        issuer: standIn.issuer,
        clientId: standIn.client.id,
        idTokenHint: session.result.id_token,
        postLogoutRedirectUri: POST_LOGOUT,
        state: 'st',
      })!
      expect(url.pathname.endsWith(variant === 'rp-logout' ? '/oidc/logout' : '/v2/logout')).toBe(
        true,
      )
      const response = await fetch(url, { redirect: 'manual' })
      expect(response.status).toBe(302)
      expect(new URL(response.headers.get('location')!).origin + '/').toBe(POST_LOGOUT)
    }
  })

  it('signs logout tokens that verify against its JWKS', async () => {
    const standIn = await standInFor({ provider: 'auth0' })
    const session = await login(standIn)
    const token = await standIn.logoutToken()
    const keys = createRemoteJWKSet(new URL(session.as.jwks_uri!), {
      [customFetch]: (url, init) => fetch(url, init),
    })
    const { payload, protectedHeader } = await jwtVerify(token, keys, {
      issuer: session.as.issuer,
      audience: standIn.client.id,
    })
    expect(protectedHeader.typ).toBeUndefined()
    expect(payload.sid).toBe(session.claims.sid)
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} })
  })
})

describe('Okta', () => {
  it('rotation with a grace period; reuse after it revokes the family', async () => {
    const standIn = await standInFor({ provider: 'okta', variant: 'org' })
    const session = await login(standIn)
    const first = session.result.refresh_token!
    const next = await refresh(session, first)
    expect(typeof (await refresh(session, first)).access_token).toBe('string') // within 30 s
    standIn.clock.offsetSeconds = 31
    expect((await refreshError(session, first)).error).toBe('invalid_grant')
    expect((await refreshError(session, next.refresh_token!)).error).toBe('invalid_grant')
  })

  it('/v1/logout without id_token_hint is an error page; the profile logs out locally then', async () => {
    const standIn = await standInFor({ provider: 'okta' })
    const session = await login(standIn)
    const end = new URL(session.as.end_session_endpoint!)
    end.searchParams.set('post_logout_redirect_uri', POST_LOGOUT)
    expect((await fetch(end, { redirect: 'manual' })).status).toBe(400)
    const input = {
      metadata: session.as,
      issuer: standIn.issuer,
      clientId: standIn.client.id,
      postLogoutRedirectUri: POST_LOGOUT,
      state: 'st',
    }
    expect(providerProfile('okta').endSessionUrl(input)).toBeUndefined()
    const url = providerProfile('okta').endSessionUrl({
      ...input,
      idTokenHint: session.result.id_token,
    })!
    const response = await fetch(url, { redirect: 'manual' })
    expect(response.status).toBe(302)
    expect(new URL(response.headers.get('location')!).searchParams.get('state')).toBe('st')
  })
})

describe('Keycloak', () => {
  it('refresh_expires_in: the refresh token dies then (invalid_grant "Token is not active")', async () => {
    const standIn = await standInFor({ provider: 'keycloak' })
    const session = await login(standIn, { scope: 'openid profile', explicit: true })
    expect(session.result.refresh_expires_in).toBe(1800)
    const profile = providerProfile('keycloak')
    expect(profile.refreshTokenExpiresAt(session.result, 1000)).toBe(2800)
    standIn.clock.offsetSeconds = 1801
    const dead = await refreshError(session, session.result.refresh_token!)
    expect(dead.error).toBe('invalid_grant')
    expect(dead.error_description).toBe('Token is not active')
  })

  it('offline_access: refresh_expires_in 0 (no expiry)', async () => {
    const standIn = await standInFor({ provider: 'keycloak' })
    const session = await login(standIn)
    expect(session.result.refresh_expires_in).toBe(0)
    expect(providerProfile('keycloak').refreshTokenExpiresAt(session.result, 1000)).toBeUndefined()
    standIn.clock.offsetSeconds = 100_000
    expect(typeof (await refresh(session, session.result.refresh_token!)).access_token).toBe(
      'string',
    )
  })

  it.each(['24', '25'] as const)(
    '%s: nonce on refresh and the logout token type',
    async (variant) => {
      const standIn = await standInFor({ provider: 'keycloak', variant })
      const session = await login(standIn)
      expect(typeof session.claims.sid).toBe('string')
      const next = await refresh(session, session.result.refresh_token!)
      const claims = oauth.getValidatedIdTokenClaims(next)!
      if (variant === '24') expect(claims.nonce).toBe(session.nonce)
      else expect(claims.nonce).toBeUndefined()
      const token = await standIn.logoutToken()
      expect(decodeProtectedHeader(token).typ).toBe(variant === '24' ? 'JWT' : 'logout+jwt')
      expect(decodeJwt(token)).toMatchObject({ typ: 'Logout', sid: session.claims.sid })
      expect(decodeJwt(token).nonce).toBeUndefined()
    },
  )
})

describe('Zitadel', () => {
  it('a refresh revokes the access token it replaces', async () => {
    const standIn = await standInFor({ provider: 'zitadel' })
    const session = await login(standIn)
    const userinfo = (token: string) =>
      fetch(session.as.userinfo_endpoint!, { headers: { authorization: `Bearer ${token}` } })
    expect((await userinfo(session.result.access_token)).status).toBe(200)
    const next = await refresh(session, session.result.refresh_token!)
    expect((await userinfo(session.result.access_token)).status).toBe(401)
    expect((await userinfo(next.access_token)).status).toBe(200)
    expect(standIn.counters.userinfoRejected).toBe(1)
    expect(providerProfile('zitadel').backgroundRefresh).toBe(false)
    // A used refresh token is refused, and nothing else is revoked.
    expect((await refreshError(session, session.result.refresh_token!)).error).toBe('invalid_grant')
    expect(typeof (await refresh(session, next.refresh_token!)).access_token).toBe('string')
  })
})
