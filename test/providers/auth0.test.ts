/**
 * Auth0 through `createOidcSession`, against the recorded discovery documents (with and without the
 * "RP-Initiated Logout End Session Endpoint Discovery" tenant setting) and the documented behaviour
 * (test/fixtures/providers/auth0/SOURCES.md): refresh-token rotation with breach detection (reuse
 * of a rotated token revokes the family), `/oidc/logout` or the legacy `/v2/logout?client_id&returnTo`,
 * and back-channel logout tokens without `typ`.
 */
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'

import { POST_LOGOUT, providerBeds } from './support.js'

const beds = providerBeds()
const DAY = 86_400

describe('Auth0', () => {
  it('logs in with offline_access (detected from mfa_challenge_endpoint on a custom domain) and refreshes with rotation', async () => {
    const bed = await beds.start({ provider: 'auth0', variant: 'no-rp-logout', explicit: false })
    const { authorization } = await bed.login()
    expect(authorization.searchParams.get('scope')).toBe('openid profile offline_access')
    const first = (await bed.authenticate()).session!
    expect(typeof first.sid).toBe('string')
    bed.advance(DAY)
    const result = await bed.authenticate()
    expect(result.reason).toBe('refreshed')
    expect(result.session?.tokens.refreshToken).not.toBe(first.tokens.refreshToken)
    expect(decodeJwt(result.session!.tokens.idToken!).iat).toBeGreaterThan(
      decodeJwt(first.tokens.idToken!).iat!,
    )
    // Only the Auth0 profile knows /v2/logout: the detection chose it.
    const location = new URL((await bed.logout()).headers.get('location')!)
    expect(location.pathname).toBe('/example-tenant.us.auth0.com/v2/logout')
  })

  it('breach detection never trips: a pre-refresh cookie gets the cached result, not a reuse', async () => {
    const bed = await beds.start({ provider: 'auth0' })
    await bed.login()
    const stale = bed.browser.snapshot()
    bed.advance(DAY)
    const fresh = await bed.authenticate()
    const late = await bed.authenticate(stale)
    expect(late.reason).toBe('refreshed')
    expect(late.session?.tokens.refreshToken).toBe(fresh.session?.tokens.refreshToken)
    expect(bed.standIn.counters.token.refresh_token).toBe(1)
    expect(bed.standIn.counters.tokenErrors).toEqual({})
    // The family is intact: the next refresh works.
    bed.advance(DAY)
    expect((await bed.authenticate()).reason).toBe('refreshed')
    expect(bed.standIn.counters.tokenErrors).toEqual({})
  })

  it('a reuse outside the library (breach detection) ends the session as refresh-rejected', async () => {
    const bed = await beds.start({ provider: 'auth0' })
    await bed.login()
    const first = (await bed.authenticate()).session!
    // Someone else replays the refresh token twice: Auth0 revokes the family.
    const replay = () =>
      bed.standIn.handle(
        new Request(String(bed.standIn.discovery.token_endpoint), {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${btoa(`${bed.standIn.client.id}:${bed.standIn.client.secret}`)}`,
          },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: first.tokens.refreshToken!,
          }),
        }),
      )
    expect((await replay()).status).toBe(200)
    expect((await replay()).status).toBe(400)
    bed.advance(DAY)
    expect(await bed.authenticate()).toMatchObject({ ok: false, reason: 'refresh-rejected' })
    expect(bed.events.sessionEnded).toEqual(['refresh-rejected'])
  })

  it('logs out at /oidc/logout when the tenant publishes end_session_endpoint', async () => {
    const bed = await beds.start({ provider: 'auth0', variant: 'rp-logout' })
    await bed.login()
    const idToken = (await bed.authenticate()).session!.tokens.idToken
    const location = new URL((await bed.logout()).headers.get('location')!)
    expect(location.pathname).toBe('/example-tenant.us.auth0.com/oidc/logout')
    expect(location.searchParams.get('id_token_hint')).toBe(idToken)
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(POST_LOGOUT)
    const back = await bed.visit(location)
    expect(back.status).toBe(302)
    expect(new URL(back.headers.get('location')!).origin + '/').toBe(POST_LOGOUT)
  })

  it('logs out at /v2/logout with client_id and returnTo otherwise (the Auth0 session ends too)', async () => {
    const bed = await beds.start({ provider: 'auth0', variant: 'no-rp-logout' })
    await bed.login()
    const location = new URL((await bed.logout()).headers.get('location')!)
    expect(location.pathname).toBe('/example-tenant.us.auth0.com/v2/logout')
    expect(Object.fromEntries(location.searchParams)).toEqual({
      client_id: bed.standIn.client.id,
      returnTo: POST_LOGOUT,
    })
    const back = await bed.visit(location)
    expect(back.status).toBe(302)
    expect(back.headers.get('location')).toBe(POST_LOGOUT)
    expect(bed.standIn.counters.endSession).toBe(1)
  })

  it('back-channel logout (a logout token without typ) ends the session of its sid', async () => {
    const bed = await beds.start({ provider: 'auth0' })
    await bed.login()
    const session = (await bed.authenticate()).session!
    const token = await bed.standIn.logoutToken({ sid: session.sid! })
    const response = await bed.backchannel(token)
    expect(response.status).toBe(200)
    expect(await bed.authenticate()).toMatchObject({ ok: false, reason: 'revoked' })
  })
})
