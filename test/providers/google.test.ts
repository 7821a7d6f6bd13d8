/**
 * Google through `createOidcSession`, against its recorded discovery document and documented
 * behaviour (test/fixtures/providers/google/SOURCES.md): `offline_access` is refused, a refresh
 * token comes with `access_type=offline` at the first consent only, refresh tokens never rotate,
 * refresh answers carry no id_token, there is no end-session endpoint, and time-based access says
 * when the refresh token dies.
 */
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'

import { POST_LOGOUT, providerBeds } from './support.js'

const beds = providerBeds()

describe('Google', () => {
  it('logs in with the default scope: no offline_access, access_type=offline, a refresh token', async () => {
    const bed = await beds.start({ provider: 'google' })
    const { authorization, callback, done } = await bed.login()
    expect(authorization.searchParams.get('scope')).toBe('openid profile')
    expect(authorization.searchParams.get('access_type')).toBe('offline')
    expect(authorization.searchParams.has('prompt')).toBe(false)
    expect(callback?.searchParams.has('code')).toBe(true)
    expect(done.status).toBe(302)
    expect(bed.standIn.counters.authorizationErrors).toBe(0)
    const result = await bed.authenticate()
    expect(result.ok).toBe(true)
    expect(result.session?.sub).toBe(bed.standIn.user.sub)
    expect(typeof result.session?.tokens.refreshToken).toBe('string')
    expect(result.session?.tokens.refreshExpiresAt).toBeUndefined()
  })

  it('an explicit scope is sent as configured (and Google answers its error page)', async () => {
    const bed = await beds.start({
      provider: 'google',
      config: { scope: 'openid profile offline_access' },
    })
    const { authorization, callback } = await bed.login()
    expect(authorization.searchParams.get('scope')).toBe('openid profile offline_access')
    expect(callback).toBeUndefined()
    expect(bed.standIn.counters.authorizationErrors).toBe(1)
  })

  it('refreshes without rotation and without a new id_token, again and again with the same refresh token', async () => {
    const bed = await beds.start({ provider: 'google' })
    await bed.login()
    const first = await bed.authenticate()
    const refreshToken = first.session!.tokens.refreshToken
    const idToken = first.session!.tokens.idToken
    for (const round of [1, 2]) {
      bed.advance(3920)
      const result = await bed.authenticate()
      expect(result.reason).toBe('refreshed')
      expect(result.session?.tokens.refreshToken).toBe(refreshToken)
      expect(result.session?.tokens.idToken).toBe(idToken)
      expect(result.session?.tokens.accessToken).not.toBe(first.session!.tokens.accessToken)
      expect(bed.standIn.counters.token.refresh_token).toBe(round)
    }
    expect(bed.standIn.counters.tokenErrors).toEqual({})
  })

  it('a login that brings no refresh token ends unrefreshable, and the next login asks for consent again', async () => {
    const bed = await beds.start({ provider: 'google' })
    await bed.login() // first consent: a refresh token
    bed.browser.cookies.clear()
    await bed.login() // consented before: none this time
    const second = await bed.authenticate()
    expect(second.ok).toBe(true)
    expect(second.session?.tokens.refreshToken).toBeUndefined()

    bed.advance(3920)
    const tab = bed.browser.snapshot() // another tab, still holding the session cookie
    const protect = await bed.auth.protect(bed.request('/orders?page=2'))
    expect(protect.ok).toBe(false)
    expect(protect.reason).toBe('unrefreshable')
    const location = new URL(protect.response!.headers.get('location')!)
    expect(location.pathname).toBe('/login')
    expect(location.searchParams.get('returnTo')).toBe('/orders?page=2')
    expect(location.searchParams.get('reconsent')).toBe('1')
    expect(bed.events.sessionEnded).toEqual(['unrefreshable'])
    bed.browser.store(protect.response!.headers)

    const api = await bed.auth.protect(bed.request('/api/me', { api: true, browser: tab }))
    expect(api.response?.status).toBe(401)
    expect(((await api.response!.json()) as { login_url: string }).login_url).toContain(
      'reconsent=1',
    )

    const { authorization } = await bed.login(location.search.slice(1))
    expect(authorization.searchParams.get('prompt')).toBe('consent')
    expect(authorization.searchParams.get('access_type')).toBe('offline')
    const third = await bed.authenticate()
    expect(typeof third.session?.tokens.refreshToken).toBe('string')
  })

  it('reconsent merges with a requested prompt', async () => {
    const bed = await beds.start({ provider: 'google' })
    const { authorization } = await bed.login('reconsent=1&prompt=select_account')
    expect(authorization.searchParams.get('prompt')).toBe('select_account consent')
  })

  it('time-based access: refresh_token_expires_in ends the session as refresh-expired, without a token call', async () => {
    const bed = await beds.start({ provider: 'google', behaviour: { refreshTokenExpiresIn: 7840 } })
    await bed.login()
    const start = Math.floor(Date.now() / 1000)
    const first = await bed.authenticate()
    expect(first.session?.tokens.refreshExpiresAt).toBe(start + 7840)
    bed.advance(3920)
    expect((await bed.authenticate()).reason).toBe('refreshed')
    bed.advance(3920)
    const calls = bed.standIn.counters.token.refresh_token
    const result = await bed.authenticate()
    expect(result).toMatchObject({ ok: false, reason: 'refresh-expired' })
    expect(bed.standIn.counters.token.refresh_token).toBe(calls)
    expect(bed.standIn.counters.tokenErrors).toEqual({})
    expect(bed.events.sessionEnded).toEqual(['refresh-expired'])
  })

  it('logout is local (no end-session endpoint) and revokes the refresh token', async () => {
    const bed = await beds.start({ provider: 'google' })
    await bed.login()
    const response = await bed.logout()
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(POST_LOGOUT)
    expect(bed.standIn.counters.endSession).toBe(0)
    expect(bed.standIn.counters.revocation).toBe(1)
    expect((await bed.authenticate()).ok).toBe(false)
  })

  it('the id_token is shaped like Google’s (azp, email), and userinfo answers for the session', async () => {
    const bed = await beds.start({ provider: 'google' })
    await bed.login()
    const result = await bed.authenticate()
    expect(decodeJwt(result.session!.tokens.idToken!)).toMatchObject({
      azp: bed.standIn.client.id,
      email: 'jane@example.com',
    })
    const { claims } = await bed.auth.userinfo(bed.request('/'))
    expect(claims.sub).toBe(bed.standIn.user.sub)
  })
})
