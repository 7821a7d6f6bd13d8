/**
 * Okta (org and custom authorization servers) through `createOidcSession`, against the recorded
 * discovery documents and documented behaviour (test/fixtures/providers/okta/SOURCES.md): refresh
 * tokens rotate with a grace period (reuse after it revokes the family), and `/v1/logout` requires a
 * valid `id_token_hint` — without one Okta shows an error page instead of redirecting.
 */
import { describe, expect, it } from 'vitest'

import { POST_LOGOUT, providerBeds, type Bed } from './support.js'

const beds = providerBeds()

/** Revoke the session's refresh token at Okta (an administrator, another device…). */
async function revokeAtOkta(bed: Bed, refreshToken: string): Promise<void> {
  const response = await bed.standIn.handle(
    new Request(String(bed.standIn.discovery.revocation_endpoint), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${bed.standIn.client.id}:${bed.standIn.client.secret}`)}`,
      },
      body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' }),
    }),
  )
  expect(response.status).toBe(200)
}

describe('Okta', () => {
  it.each(['custom', 'org'] as const)(
    '%s authorization server: login, refresh with rotation, a late cookie within the grace period',
    async (variant) => {
      const bed = await beds.start({ provider: 'okta', variant })
      const { authorization } = await bed.login()
      expect(authorization.searchParams.get('scope')).toBe('openid profile offline_access')
      const first = (await bed.authenticate()).session!
      const stale = bed.browser.snapshot()
      bed.advance(3600)
      const fresh = await bed.authenticate()
      expect(fresh.reason).toBe('refreshed')
      expect(fresh.session?.tokens.refreshToken).not.toBe(first.tokens.refreshToken)
      const late = await bed.authenticate(stale)
      expect(late.session?.tokens.accessToken).toBe(fresh.session?.tokens.accessToken)
      expect(bed.standIn.counters.token.refresh_token).toBe(1)
    },
  )

  it('logs out at /v1/logout with the freshest id_token as hint, and Okta redirects back with state', async () => {
    const bed = await beds.start({ provider: 'okta' })
    await bed.login()
    const idToken = (await bed.authenticate()).session!.tokens.idToken
    const location = new URL((await bed.logout()).headers.get('location')!)
    expect(location.pathname).toBe('/example.okta.com/oauth2/default/v1/logout')
    expect(location.searchParams.get('id_token_hint')).toBe(idToken)
    const back = await bed.visit(location)
    expect(back.status).toBe(302)
    const returned = new URL(back.headers.get('location')!)
    expect(returned.origin + returned.pathname).toBe(POST_LOGOUT)
    expect(returned.searchParams.get('state')).toBe(location.searchParams.get('state'))
  })

  it('an expired hint that cannot be refreshed: logout is local (detected from the discovery document), never an Okta error page', async () => {
    const bed = await beds.start({ provider: 'okta', explicit: false })
    await bed.login()
    const session = (await bed.authenticate()).session!
    await revokeAtOkta(bed, session.tokens.refreshToken!)
    bed.advance(2 * 3600)
    const response = await bed.logout()
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(POST_LOGOUT)
    expect(bed.standIn.counters.tokenErrors).toEqual({ invalid_grant: 1 })
    expect(bed.standIn.counters.endSession).toBe(0)
    expect((await bed.authenticate()).ok).toBe(false)
  })

  it('without the profile, the same logout ends on Okta’s error page', async () => {
    const bed = await beds.start({ provider: 'okta', config: { provider: 'generic' } })
    await bed.login()
    const session = (await bed.authenticate()).session!
    await revokeAtOkta(bed, session.tokens.refreshToken!)
    bed.advance(2 * 3600)
    const location = (await bed.logout()).headers.get('location')!
    expect(location).not.toBe(POST_LOGOUT)
    expect((await bed.visit(location)).status).toBe(400)
    expect(bed.standIn.counters.endSessionErrors).toBe(1)
  })
})
