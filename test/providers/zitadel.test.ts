/**
 * Zitadel through `createOidcSession`, against the recorded discovery document and documented
 * behaviour (test/fixtures/providers/zitadel/SOURCES.md): a refresh rotates the refresh token
 * (a used one is refused) and immediately invalidates the access token it replaces — so
 * `refresh.background` must not hand out the current access token while refreshing.
 */
import { describe, expect, it, vi } from 'vitest'

import { memoryStore } from 'oidc-session'
import { POST_LOGOUT, providerBeds, type Bed } from './support.js'

const beds = providerBeds()
const TTL = 43_199 // expires_in of the recorded token response

/** Whether Zitadel still accepts `accessToken` (its userinfo endpoint). */
async function alive(bed: Bed, accessToken: string): Promise<boolean> {
  const response = await bed.standIn.handle(
    new Request(String(bed.standIn.discovery.userinfo_endpoint), {
      headers: { authorization: `Bearer ${accessToken}` },
    }),
  )
  return response.status === 200
}

describe('Zitadel', () => {
  it('refresh.background refreshes in the foreground (detected from the discovery document): the token handed out is alive', async () => {
    const bed = await beds.start({
      provider: 'zitadel',
      explicit: false,
      config: { store: memoryStore(), refresh: { background: true } },
    })
    await bed.login()
    const first = (await bed.authenticate()).session!
    bed.advance(TTL - 60) // due, still valid
    const result = await bed.authenticate()
    expect(result.reason).toBe('refreshed')
    expect(result.session?.tokens.accessToken).not.toBe(first.tokens.accessToken)
    expect(await alive(bed, result.session!.tokens.accessToken)).toBe(true)
    expect(await alive(bed, first.tokens.accessToken)).toBe(false)
    const { claims } = await bed.auth.userinfo(bed.request('/'))
    expect(claims.sub).toBe(bed.standIn.user.sub)
    expect(bed.standIn.counters.userinfoRejected).toBe(1) // the check of the old token above
  })

  it('without the profile, a background refresh hands out a token that is already dead', async () => {
    const bed = await beds.start({
      provider: 'zitadel',
      config: { provider: 'generic', store: memoryStore(), refresh: { background: true } },
    })
    await bed.login()
    bed.advance(TTL - 60)
    const result = await bed.authenticate()
    expect(result.reason).toBe('refresh-deferred')
    const handedOut = result.session!.tokens.accessToken // what the app sends to its API now
    await vi.waitFor(() => expect(bed.events.refresh).toEqual(['provider']))
    expect(await alive(bed, handedOut)).toBe(false)
  })

  it('rotation: a pre-refresh cookie gets the cached result, never a refused reuse', async () => {
    const bed = await beds.start({ provider: 'zitadel' })
    await bed.login()
    const stale = bed.browser.snapshot()
    bed.advance(TTL)
    const fresh = await bed.authenticate()
    expect(fresh.reason).toBe('refreshed')
    const late = await bed.authenticate(stale)
    expect(late.session?.tokens.accessToken).toBe(fresh.session?.tokens.accessToken)
    expect(bed.standIn.counters.token.refresh_token).toBe(1)
    expect(bed.standIn.counters.tokenErrors).toEqual({})
  })

  it('logs out at end_session with the id_token hint, and Zitadel redirects back', async () => {
    const bed = await beds.start({ provider: 'zitadel' })
    await bed.login()
    const idToken = (await bed.authenticate()).session!.tokens.idToken
    const location = new URL((await bed.logout()).headers.get('location')!)
    expect(location.pathname).toBe('/example-abc123.zitadel.cloud/oidc/v1/end_session')
    expect(location.searchParams.get('id_token_hint')).toBe(idToken)
    const back = await bed.visit(location)
    expect(back.status).toBe(302)
    expect(new URL(back.headers.get('location')!).origin + '/').toBe(POST_LOGOUT)
  })
})
