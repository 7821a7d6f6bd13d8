/**
 * Step-up authentication (RFC 9470) through the public API against the real provider, which can
 * raise `acr` (a login with the strong password reaches `urn:oidc-session:mfa`): the Express
 * example's `/api/admin` answers API calls 401 with the `insufficient_user_authentication`
 * challenge, sends navigations to a login asking for `acr_values`, and accepts the session once
 * the provider raised it; a login that did not reach the level asked for is refused at the
 * callback, and an `acr_values` edited in the login URL never grants the route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent } from '../fixtures/agent.js'
import { startAppBed, type AppBed } from '../fixtures/app-bed.js'
import { startProvider, type TestProvider } from '../fixtures/provider.js'

const BASIC = 'urn:oidc-session:basic'
const MFA = 'urn:oidc-session:mfa'
const STRONG = 'otp-123456'

let provider: TestProvider
let bed: AppBed

beforeAll(async () => {
  provider = await startProvider({
    accessTokenTtl: 300,
    idTokenTtl: 300,
    acr: { values: [BASIC, MFA], strongPassword: STRONG },
  })
  bed = await startAppBed({ provider })
})

afterAll(async () => {
  await bed?.close()
  await provider?.close()
})

describe('step-up (RFC 9470)', () => {
  it('an API call with a weaker acr gets 401 insufficient_user_authentication with acr_values', async () => {
    const agent = await bed.login('weak-api')
    const session = await bed.auth.authenticate(bed.request(bed.cookieOf(agent)))
    expect(session.ok && session.session.acr).toBe(BASIC)
    const response = await agent.fetch(`${bed.url}/api/admin`, {
      headers: { accept: 'application/json', 'sec-fetch-mode': 'cors' },
    })
    expect(response.status).toBe(401)
    const challenge = response.headers.get('www-authenticate') ?? ''
    expect(challenge).toMatch(/^Bearer error="insufficient_user_authentication"/)
    expect(challenge).toContain(`acr_values="${MFA}"`)
    const body = (await response.json()) as Record<string, unknown>
    expect(body).toMatchObject({ error: 'insufficient_user_authentication', acr_values: MFA })
    expect(new URLSearchParams(String(body.login_url).split('?')[1]).get('acr_values')).toBe(MFA)
  })

  it('a navigation goes to login with acr_values; the provider raises acr and the route answers', async () => {
    const agent = await bed.login('stepper')
    provider.counters.reset()
    const { response, url, hops } = await agent.login(`${bed.url}/api/admin`, {
      username: 'stepper',
      password: STRONG,
    })
    const loginHop = hops.find((hop) => new URL(hop).pathname === '/login') ?? ''
    expect(new URL(loginHop).searchParams.get('acr_values')).toBe(MFA)
    expect(new URL(url).pathname).toBe('/api/admin')
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ sub: 'stepper', acr: MFA })
    // The provider was asked again (a new authorization request), not just the app.
    expect(provider.counters.authorization).toBeGreaterThanOrEqual(1)
    const stepped = await bed.auth.authenticate(bed.request(bed.cookieOf(agent)))
    expect(stepped.ok && stepped.session.acr).toBe(MFA)
    expect(stepped.ok && typeof stepped.session.authTime).toBe('number')
  })

  it('a step-up login that does not reach the level asked for is refused at the callback (403)', async () => {
    const agent = await bed.login('no-otp')
    const { response, url } = await agent.login(`${bed.url}/api/admin`, {
      username: 'no-otp',
      password: 'wrong-otp',
    })
    expect(new URL(url).pathname).toBe('/callback')
    expect(response.status).toBe(403)
    // The former session is untouched: still the weaker one, still refused by the route.
    const api = await agent.fetch(`${bed.url}/api/admin`, {
      headers: { accept: 'application/json', 'sec-fetch-mode': 'cors' },
    })
    expect(api.status).toBe(401)
  })

  it('acr_values edited in the login URL never grants the route: the session acr is checked', async () => {
    const agent = new Agent()
    // The user asks for the weak level instead of the one the route asked for.
    const { response } = await agent.login(
      `${bed.url}/login?returnTo=%2Fapi%2Fme&acr_values=${encodeURIComponent(BASIC)}`,
      { username: 'tamperer' },
    )
    // The login completes (the provider gave what was asked), with the weak level only.
    expect(response.status).toBe(200)
    const api = await agent.fetch(`${bed.url}/api/admin`, {
      headers: { accept: 'application/json', 'sec-fetch-mode': 'cors' },
    })
    expect(api.status).toBe(401)
    expect(api.headers.get('www-authenticate')).toContain(`acr_values="${MFA}"`)
    // And navigating there asks the provider for the route's level, which this user cannot reach.
    const page = await agent.login(`${bed.url}/api/admin`, { username: 'tamperer' })
    expect(new URL(page.url).pathname).toBe('/callback')
    expect(page.response.status).toBe(403)
  })

  it('maxAge: an authentication older than maxAge is challenged with max_age', async () => {
    const agent = await bed.login('aged')
    const cookie = bed.cookieOf(agent)
    const fresh = await bed.auth.protect(bed.request(cookie), { maxAge: 600 })
    expect(fresh.ok).toBe(true)
    bed.clock.seconds = 120
    try {
      const stale = await bed.auth.protect(bed.request(cookie), { maxAge: 60 })
      expect(stale).toMatchObject({ ok: false, reason: 'insufficient-authentication' })
      expect(stale.response?.status).toBe(401)
      expect(stale.response?.headers.get('www-authenticate')).toContain('max_age=60')
      const page = await bed.auth.protect(
        bed.request(cookie, '/account', { accept: 'text/html', 'sec-fetch-mode': 'navigate' }),
        { maxAge: 60 },
      )
      expect(page.response?.status).toBe(302)
      const location = new URL(page.response?.headers.get('location') ?? '')
      expect(location.pathname).toBe('/login')
      expect(location.searchParams.get('max_age')).toBe('60')
      expect(location.searchParams.get('returnTo')).toBe('/account')
    } finally {
      bed.clock.seconds = 0
    }
  })

  it('claims: a missing required claim is a 403, not a login loop', async () => {
    const agent = await bed.login('claims-user')
    const cookie = bed.cookieOf(agent)
    const ok = await bed.auth.protect(bed.request(cookie), {
      claims: { name: 'Test User claims-user' },
    })
    expect(ok.ok).toBe(true)
    const refused = await bed.auth.protect(bed.request(cookie), {
      claims: (claims) => claims.email === 'someone-else@example.test',
    })
    expect(refused).toMatchObject({ ok: false, reason: 'insufficient-claims' })
    expect(refused.response?.status).toBe(403)
  })
})
