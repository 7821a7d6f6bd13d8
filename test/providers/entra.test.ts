/**
 * Microsoft Entra ID (v2.0 endpoints) through `createOidcSession`, against the recorded discovery
 * documents of `/common`, `/organizations` and a tenant, and the documented behaviour
 * (test/fixtures/providers/entra/SOURCES.md): multi-tenant discovery names the issuer template
 * `…/{tenantid}/v2.0` and each token carries its tenant in `tid`; sign-out takes `logout_hint` from
 * the `login_hint` optional claim; the refresh grant wants `scope`; old refresh tokens stay valid.
 */
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'

import { POST_LOGOUT, providerBeds } from './support.js'

const beds = providerBeds()

describe('Microsoft Entra ID', () => {
  it.each(['common', 'organizations'] as const)(
    '%s: the {tenantid} issuer template is accepted (detected without the provider option), and tokens carry their tenant',
    async (variant) => {
      const bed = await beds.start({ provider: 'entra', variant, explicit: false })
      expect(bed.standIn.discovery.issuer).toContain('{tenantid}')
      const { done } = await bed.login()
      expect(done.status).toBe(302)
      expect(done.headers.get('location')).toBe(POST_LOGOUT)
      const result = await bed.authenticate()
      expect(result.ok).toBe(true)
      const claims = decodeJwt(result.session!.tokens.idToken!)
      expect(claims.tid).toBe(bed.standIn.tenantId)
      expect(claims.iss).toBe(
        String(bed.standIn.discovery.issuer).replace('{tenantid}', bed.standIn.tenantId),
      )
      expect(bed.auth.issuer).toBe(bed.standIn.issuer)
    },
  )

  it('a token whose iss names another tenant than its tid is refused', async () => {
    const bed = await beds.start({
      provider: 'entra',
      variant: 'common',
      behaviour: { tidClaim: '0b2a0d1e-0000-4000-8000-000000000001' },
    })
    const { done } = await bed.login()
    expect(done.status).toBe(400)
    const page = await done.text()
    expect(page).toContain('Login failed')
    expect(page).toContain('OAUTH_JWT_CLAIM_COMPARISON_FAILED')
    expect(bed.events.login).toBe(0)
    expect((await bed.authenticate()).ok).toBe(false)
  })

  it('a single-tenant issuer matches exactly', async () => {
    const bed = await beds.start({ provider: 'entra', variant: 'tenant', explicit: false })
    await bed.login()
    const result = await bed.authenticate()
    expect(result.ok).toBe(true)
    expect(decodeJwt(result.session!.tokens.idToken!).iss).toBe(bed.standIn.discovery.issuer)
  })

  it('refresh sends the login scope (which Entra requires here); without the profile it fails', async () => {
    const bed = await beds.start({ provider: 'entra', variant: 'tenant' })
    const { authorization } = await bed.login()
    expect(authorization.searchParams.get('scope')).toBe('openid profile offline_access')
    const first = (await bed.authenticate()).session!
    bed.advance(3600)
    const result = await bed.authenticate()
    expect(result.reason).toBe('refreshed')
    expect(result.session?.tokens.refreshToken).not.toBe(first.tokens.refreshToken)
    expect(bed.standIn.counters.tokenErrors).toEqual({})

    const generic = await beds.start({
      provider: 'entra',
      variant: 'tenant',
      config: { provider: 'generic' },
    })
    await generic.login()
    generic.advance(3600)
    const failed = await generic.authenticate()
    expect(failed).toMatchObject({ ok: false, reason: 'refresh-failed' })
    expect(generic.standIn.counters.tokenErrors).toEqual({ invalid_request: 1 })
  })

  it('signs out with logout_hint from the login_hint claim and the post-logout URI', async () => {
    const bed = await beds.start({ provider: 'entra', variant: 'organizations' })
    await bed.login()
    const session = (await bed.authenticate()).session!
    const loginHint = decodeJwt(session.tokens.idToken!).login_hint
    expect(typeof loginHint).toBe('string')
    const response = await bed.logout()
    const location = new URL(response.headers.get('location')!)
    expect(location.href.split('?')[0]).toBe(bed.standIn.discovery.end_session_endpoint)
    expect(location.searchParams.get('logout_hint')).toBe(loginHint)
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(POST_LOGOUT)
    expect(location.searchParams.has('id_token_hint')).toBe(false)
    const back = await bed.visit(location)
    expect(back.status).toBe(302)
    expect(new URL(back.headers.get('location')!).origin + '/').toBe(POST_LOGOUT)
  })

  it('the logout_hint survives an id_token that expired and could not be refreshed', async () => {
    const bed = await beds.start({
      provider: 'entra',
      variant: 'tenant',
      config: { logout: { refreshExpiredIdToken: false } },
    })
    await bed.login()
    const loginHint = decodeJwt((await bed.authenticate()).session!.tokens.idToken!).login_hint
    bed.advance(3 * 3600)
    const location = new URL((await bed.logout()).headers.get('location')!)
    expect(location.searchParams.get('logout_hint')).toBe(loginHint)
  })
})
