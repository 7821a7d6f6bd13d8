/**
 * Amazon Cognito user pools through `createOidcSession`, against the recorded discovery document
 * and documented behaviour (test/fixtures/providers/cognito/SOURCES.md): `offline_access` is not a
 * Cognito scope (the code grant always brings a refresh token), refresh tokens do not rotate unless
 * the app client turns rotation on, and logout is the hosted UI's `/logout?client_id&logout_uri`,
 * where `post_logout_redirect_uri` ends on an error page.
 */
import { describe, expect, it } from 'vitest'

import { POST_LOGOUT, providerBeds } from './support.js'

const beds = providerBeds()

describe('Amazon Cognito', () => {
  it('logs in with the default scope (no offline_access) and gets a refresh token', async () => {
    const bed = await beds.start({ provider: 'cognito' })
    const { authorization, done } = await bed.login()
    expect(authorization.searchParams.get('scope')).toBe('openid profile')
    expect(done.status).toBe(302)
    expect(bed.standIn.counters.authorizationErrors).toBe(0)
    const result = await bed.authenticate()
    expect(result.ok).toBe(true)
    expect(typeof result.session?.tokens.refreshToken).toBe('string')
  })

  it('refreshes without rotation (the default), with a new id_token', async () => {
    const bed = await beds.start({ provider: 'cognito' })
    await bed.login()
    const first = (await bed.authenticate()).session!
    bed.advance(3600)
    const result = await bed.authenticate()
    expect(result.reason).toBe('refreshed')
    expect(result.session?.tokens.refreshToken).toBe(first.tokens.refreshToken)
    expect(result.session?.tokens.idToken).not.toBe(first.tokens.idToken)
    bed.advance(3600)
    expect((await bed.authenticate()).reason).toBe('refreshed')
    expect(bed.standIn.counters.token.refresh_token).toBe(2)
  })

  it('refreshes with rotation when the app client turns it on; a pre-refresh cookie gets the new tokens', async () => {
    const bed = await beds.start({
      provider: 'cognito',
      behaviour: { rotation: 'always', reuse: 'reject' },
    })
    await bed.login()
    const first = (await bed.authenticate()).session!
    const stale = bed.browser.snapshot()
    bed.advance(3600)
    const result = await bed.authenticate()
    expect(result.session?.tokens.refreshToken).not.toBe(first.tokens.refreshToken)
    const late = await bed.authenticate(stale)
    expect(late.reason).toBe('refreshed')
    expect(late.session?.tokens.accessToken).toBe(result.session?.tokens.accessToken)
    expect(bed.standIn.counters.token.refresh_token).toBe(1)
    expect(bed.events.refresh).toEqual(['provider', 'cache'])
  })

  it('logs out at the hosted-UI domain with client_id and logout_uri, and Cognito redirects back', async () => {
    const bed = await beds.start({ provider: 'cognito' })
    await bed.login()
    const response = await bed.logout()
    const location = new URL(response.headers.get('location')!)
    expect(location.pathname).toBe('/example-domain.auth.us-east-1.amazoncognito.com/logout')
    expect(Object.fromEntries(location.searchParams)).toEqual({
      client_id: bed.standIn.client.id,
      logout_uri: POST_LOGOUT,
    })
    const back = await bed.visit(location)
    expect(back.status).toBe(302)
    expect(back.headers.get('location')).toBe(POST_LOGOUT)
    expect(bed.standIn.counters.endSessionErrors).toBe(0)
    expect(bed.standIn.counters.revocation).toBe(1)
  })

  it('without the profile (a custom domain, not detected): the scope is still right, but logout stays local', async () => {
    const bed = await beds.start({ provider: 'cognito', explicit: false })
    const { authorization } = await bed.login()
    // scopes_supported has no offline_access: the generic profile leaves it out too.
    expect(authorization.searchParams.get('scope')).toBe('openid profile')
    const response = await bed.logout()
    expect(response.headers.get('location')).toBe(POST_LOGOUT)
    expect(bed.standIn.counters.endSession).toBe(0)
  })
})
