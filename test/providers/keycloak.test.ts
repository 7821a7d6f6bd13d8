/**
 * Keycloak 24 and 25 through `createOidcSession`, against the recorded discovery documents and
 * documented behaviour (test/fixtures/providers/keycloak/SOURCES.md): `refresh_expires_in` says when
 * the refresh token dies (the SSO session idle timeout; `0` for an offline token), Keycloak 24 and
 * older type logout tokens `JWT`, and Keycloak 25 and later leave `nonce` out of refreshed id_tokens.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'

import { POST_LOGOUT, providerBeds } from './support.js'

const beds = providerBeds()
const VARIANTS = ['24', '25'] as const

describe('Keycloak', () => {
  it.each(VARIANTS)(
    '%s: refresh_expires_in is known; past it the session ends as refresh-expired before any token call',
    async (variant) => {
      const bed = await beds.start({
        provider: 'keycloak',
        variant,
        explicit: false, // detected from …/protocol/openid-connect/token
        config: { scope: 'openid profile' },
      })
      await bed.login()
      const start = Math.floor(Date.now() / 1000)
      expect((await bed.authenticate()).session?.tokens.refreshExpiresAt).toBe(start + 1800)

      bed.advance(300)
      const refreshed = await bed.authenticate()
      expect(refreshed.reason).toBe('refreshed')
      // Sliding: the new refresh token lives another idle timeout.
      expect(refreshed.session?.tokens.refreshExpiresAt).toBe(start + 300 + 1800)

      bed.advance(1800) // idle longer than the SSO session idle timeout
      const calls = bed.standIn.counters.token.refresh_token
      const tab = bed.browser.snapshot()
      const result = await bed.authenticate()
      expect(result).toMatchObject({ ok: false, reason: 'refresh-expired' })
      expect(bed.standIn.counters.token.refresh_token).toBe(calls)
      expect(bed.standIn.counters.tokenErrors).toEqual({})
      expect(bed.events.sessionEnded).toEqual(['refresh-expired'])

      const protect = await bed.auth.protect(bed.request('/reports', { browser: tab }))
      expect(protect.reason).toBe('refresh-expired')
      expect(protect.response?.status).toBe(302)
      expect(new URL(protect.response!.headers.get('location')!).pathname).toBe('/login')
    },
  )

  it('offline_access (the default scope, advertised by Keycloak): refresh_expires_in 0, no expiry', async () => {
    const bed = await beds.start({ provider: 'keycloak' })
    const { authorization } = await bed.login()
    expect(authorization.searchParams.get('scope')).toBe('openid profile offline_access')
    expect((await bed.authenticate()).session?.tokens.refreshExpiresAt).toBeUndefined()
    bed.advance(5 * 86_400) // far past the idle timeout, within the session's absolute lifetime
    expect((await bed.authenticate()).reason).toBe('refreshed')
  })

  it.each(VARIANTS)(
    '%s: the refreshed id_token (nonce kept by 24, dropped by 25) is accepted',
    async (variant) => {
      const bed = await beds.start({ provider: 'keycloak', variant })
      await bed.login()
      const first = (await bed.authenticate()).session!
      const nonce = decodeJwt(first.tokens.idToken!).nonce
      expect(typeof nonce).toBe('string')
      bed.advance(300)
      const result = await bed.authenticate()
      expect(result.reason).toBe('refreshed')
      const claims = decodeJwt(result.session!.tokens.idToken!)
      expect(claims.nonce).toBe(variant === '24' ? nonce : undefined)
      expect(claims.sid).toBe(first.sid)
      expect(bed.events.refreshError).toEqual([])
    },
  )

  it.each(VARIANTS)(
    '%s: back-channel logout (its logout token typed JWT by 24) ends the session of its sid',
    async (variant) => {
      const bed = await beds.start({ provider: 'keycloak', variant })
      await bed.login()
      const session = (await bed.authenticate()).session!
      const token = await bed.standIn.logoutToken({ sid: session.sid! })
      expect(decodeProtectedHeader(token).typ).toBe(variant === '24' ? 'JWT' : 'logout+jwt')
      expect((await bed.backchannel(token)).status).toBe(200)
      expect(await bed.authenticate()).toMatchObject({ ok: false, reason: 'revoked' })
    },
  )

  it('a logout past the refresh token’s expiry makes no token call (the expired hint is sent as is)', async () => {
    const bed = await beds.start({ provider: 'keycloak', config: { scope: 'openid profile' } })
    await bed.login()
    const idToken = (await bed.authenticate()).session!.tokens.idToken
    bed.advance(1800)
    const location = new URL((await bed.logout()).headers.get('location')!)
    expect(location.searchParams.get('id_token_hint')).toBe(idToken)
    expect(bed.standIn.counters.token.refresh_token ?? 0).toBe(0)
    expect(bed.standIn.counters.tokenErrors).toEqual({})
  })

  it('logs out with RP-Initiated Logout, and Keycloak redirects back', async () => {
    const bed = await beds.start({ provider: 'keycloak' })
    await bed.login()
    const idToken = (await bed.authenticate()).session!.tokens.idToken
    const location = new URL((await bed.logout()).headers.get('location')!)
    expect(location.pathname).toBe('/sso.example.com/realms/demo/protocol/openid-connect/logout')
    expect(location.searchParams.get('id_token_hint')).toBe(idToken)
    expect(location.searchParams.get('client_id')).toBe(bed.standIn.client.id)
    const back = await bed.visit(location)
    expect(back.status).toBe(302)
    expect(new URL(back.headers.get('location')!).origin + '/').toBe(POST_LOGOUT)
  })
})
