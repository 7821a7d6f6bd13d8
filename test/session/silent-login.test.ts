/**
 * Silent login (`prompt=none`) through the public API against the real provider: a provider that
 * needs the user answers `login_required`, which returns to `returnTo` unauthenticated — not a 400
 * "Login failed" page —, remembers for `silentLogin.retryAfterSeconds` not to try again, and
 * carries `returnTo` on the typed error; with a provider session, the silent login just works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SilentLoginError } from 'oidc-session'
import { Agent } from '../fixtures/agent.js'
import { startAppBed, type AppBed } from '../fixtures/app-bed.js'
import { startProvider, type TestProvider } from '../fixtures/provider.js'

let provider: TestProvider
let bed: AppBed

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
  bed = await startAppBed({ provider, session: { silentLogin: { retryAfterSeconds: 120 } } })
})

afterAll(async () => {
  await bed?.close()
  await provider?.close()
})

const atCallback = (url: URL) => url.pathname === '/callback'

describe('silent login (prompt=none)', () => {
  it('login_required returns to returnTo unauthenticated and stops further silent tries', async () => {
    const agent = new Agent()
    provider.counters.reset()
    const { response, hops } = await agent.follow(
      `${bed.url}/login?prompt=none&returnTo=%2Fdashboard%3Ftab%3D2`,
      {},
      { navigate: true, stopAt: atCallback },
    )
    expect(new URL(hops.at(-1) ?? '').searchParams.get('error')).toBe('login_required')
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`${bed.url}/dashboard?tab=2`)
    expect(bed.cookieOf(agent)).toMatch(/oidc_session\.nosilent=1/)
    expect(bed.cookieOf(agent)).not.toMatch(/oidc_session=/)
    expect(bed.events.some((e) => e.name === 'login')).toBe(false)
    expect(provider.counters.authorization).toBe(1)
    // Within retryAfterSeconds, a silent login goes straight back, without asking the provider.
    const again = await agent.fetch(`${bed.url}/login?prompt=none&returnTo=/dashboard`)
    expect(again.status).toBe(302)
    expect(again.headers.get('location')).toBe(`${bed.url}/dashboard`)
    expect(provider.counters.authorization).toBe(1)
    // An interactive login is never held back by it.
    const interactive = await agent.fetch(`${bed.url}/login?returnTo=/dashboard`)
    expect(new URL(interactive.headers.get('location') ?? '').origin).toBe(provider.issuer)
  })

  it('callback() throws a SilentLoginError carrying returnTo; errorResponse answers the redirect', async () => {
    const agent = new Agent()
    // Up to the provider's answer: a redirect to the app's callback with error=login_required.
    const { response } = await agent.follow(
      `${bed.url}/login?prompt=none&returnTo=/orders`,
      {},
      { navigate: true, stopAt: (url) => url.origin === provider.issuer },
    )
    const location = response.headers.get('location') ?? ''
    expect(new URL(location).pathname).toBe('/callback')
    expect(new URL(location).searchParams.get('error')).toBe('login_required')
    const request = new Request(location, { headers: { cookie: agent.jar.header(bed.url) } })
    const error = await bed.auth.callback(request).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(SilentLoginError)
    expect(error).toMatchObject({
      code: 'ERR_SILENT_LOGIN',
      returnTo: '/orders',
      error: 'login_required',
    })
    const answer = bed.auth.errorResponse(request, error)
    expect(answer.status).toBe(302)
    expect(answer.headers.get('location')).toBe(`${bed.url}/orders`)
    const cookies = answer.headers.getSetCookie().join('\n')
    expect(cookies).toMatch(/nosilent=1; Max-Age=120/i)
    // The used transaction cookie is deleted with it.
    expect(cookies).toMatch(/oidc_session_tx\.[^=]+=; Max-Age=0/i)
  })

  it('with a provider session, a silent login completes without any page', async () => {
    // Forget the app session, keep the provider's.
    const withProvider = new Agent()
    await withProvider.login(`${bed.url}/login?returnTo=/api/me`, { username: 'silent-ok' })
    for (const c of withProvider.jar.all())
      if (c.name.includes('oidc_session')) withProvider.jar.clear(c.name)
    bed.events.length = 0
    const { response } = await withProvider.follow(
      `${bed.url}/login?prompt=none&returnTo=/api/me`,
      {},
      { stopAt: (url) => url.origin === bed.url && url.pathname === '/api/me' },
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ sub: 'silent-ok' })
    expect(bed.events.find((e) => e.name === 'login')?.payload).toMatchObject({
      sub: 'silent-ok',
      silent: true,
    })
  })
})
