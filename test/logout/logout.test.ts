/**
 * RP-initiated logout against the real provider: the freshest id_token as `id_token_hint` (after a
 * refresh the browser's cookie has not seen, after a refresh in flight), revocation of the refresh
 * token, local teardown (tombstone, every chunk), logout CSRF, the post-logout allow-list, and a
 * provider without an end-session endpoint.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  cookieStore,
  CookieJar,
  isCrossSite,
  memoryStore,
  type OidcSession,
  type OidcSessionConfig,
  type StoreContext,
} from 'oidc-session'
import { Agent } from '../fixtures/agent.js'
import { startProvider, type TestProvider } from '../fixtures/provider.js'
import {
  BED_SECRET as SECRET,
  requestTo as request,
  startAppBed,
  tryRefresh,
  type AppBed as TestApp,
} from '../fixtures/app-bed.js'

let provider: TestProvider
const apps: TestApp[] = []
let clock = 0 // seconds added to the relying party's clock
const now = () => Date.now() + clock * 1000

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 3600 })
})

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()))
  await provider?.close()
})

beforeEach(() => {
  clock = 0
  provider.counters.reset()
})

async function app(
  options:
    | Partial<OidcSessionConfig>
    | ((context: { url: string; now: () => number }) => Partial<OidcSessionConfig>) = {},
): Promise<TestApp> {
  const started = await startAppBed({ provider, session: options })
  apps.push(started)
  return started
}

function endSessionParams(response: Response): URLSearchParams {
  expect(response.status).toBe(302)
  const location = new URL(response.headers.get('location')!)
  expect(`${location.origin}${location.pathname}`).toBe(`${provider.issuer}/session/end`)
  return location.searchParams
}

function expiredCookies(response: Response): string[] {
  return response.headers
    .getSetCookie()
    .filter((line) => /max-age=0/i.test(line))
    .map((line) => line.slice(0, line.indexOf('=')))
}

/**
 * oidc-provider signs with RS256 (deterministic): an id_token issued in the same second with the
 * same claims is byte-identical to the previous one. Waiting for the next second makes the
 * refreshed id_token distinguishable from the login one.
 */
async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1010 - (Date.now() % 1000)))
}

async function load(auth: OidcSession, target: TestApp, cookie: string) {
  return auth.authenticate(request(target, '/api/me', cookie))
}

describe('logout sends the freshest id_token', () => {
  it('cookie store: a refresh the stale cookie never saw provides the hint, and its refresh token is revoked', async () => {
    const target = await app({ now })
    const agent = await target.login('alice')
    const stale = target.cookieOf(agent)
    const before = await load(target.auth, target, stale)
    const loginIdToken = before.session!.tokens.idToken!

    await nextSecond()
    clock = 400 // access token expired: the next request refreshes
    const refreshed = await load(target.auth, target, stale)
    expect(refreshed.reason).toBe('refreshed')
    const newIdToken = refreshed.session!.tokens.idToken!
    expect(newIdToken).not.toBe(loginIdToken)
    expect(decodeJwt(newIdToken).iat!).toBeGreaterThanOrEqual(decodeJwt(loginIdToken).iat!)
    expect(provider.counters.token.refresh_token).toBe(1)

    // The browser logs out with the pre-refresh cookie (the refreshed one never reached it).
    const response = await target.auth.logout(request(target, '/logout', stale))
    const params = endSessionParams(response)
    expect(params.get('id_token_hint')).toBe(newIdToken)
    expect(params.get('client_id')).toBe(target.clientId)
    expect(params.get('post_logout_redirect_uri')).toBe(`${target.url}/`)
    expect(params.get('state')).toMatch(/^[\w-]{16,}$/)
    expect(params.has('logout_hint')).toBe(false)
    expect(expiredCookies(response)).toEqual(['oidc_session'])

    // Revoked: the newest refresh token no longer works at the provider.
    expect(provider.counters.revocation).toBe(1)
    const rt = refreshed.session!.tokens.refreshToken!
    expect(await tryRefresh(target, rt)).toEqual({ status: 400, error: 'invalid_grant' })
    expect(provider.counters.token.refresh_token).toBe(2) // the probe above, nothing else
  })

  it('memory store: logout waits for the refresh in flight and sends its id_token', async () => {
    let started!: () => void
    let release!: () => void
    const refreshStarted = new Promise<void>((resolve) => (started = resolve))
    const gate = new Promise<void>((resolve) => (release = resolve))
    const store = memoryStore()
    const target = await app({
      now,
      store,
      http: {
        // The real provider's answer to the refresh, held back until the logout has started.
        fetch: async (input, init) => {
          const response = await fetch(input, init)
          if (String(init?.body ?? '').includes('grant_type=refresh_token')) {
            started()
            await gate
          }
          return response
        },
      },
    })
    const agent = await target.login('bob')
    const cookie = target.cookieOf(agent)
    const loginIdToken = (await load(target.auth, target, cookie)).session!.tokens.idToken

    await nextSecond()
    clock = 400
    const refreshing = load(target.auth, target, cookie)
    await refreshStarted
    const loggingOut = target.auth.logout(request(target, '/logout', cookie))
    release()
    const [refreshed, response] = await Promise.all([refreshing, loggingOut])

    expect(refreshed.reason).toBe('refreshed')
    const newIdToken = refreshed.session!.tokens.idToken!
    expect(newIdToken).not.toBe(loginIdToken)
    expect(endSessionParams(response).get('id_token_hint')).toBe(newIdToken)
    expect(provider.counters.token.refresh_token).toBe(1) // logout did not refresh again
    expect(store.size).toBe(0)
    expect((await load(target.auth, target, cookie)).reason).toBe('revoked')
    expect(await tryRefresh(target, refreshed.session!.tokens.refreshToken!)).toMatchObject({
      error: 'invalid_grant',
    })
  })
})

describe('local teardown', () => {
  it('memory store: a request that loaded the session before logout cannot save it back', async () => {
    const store = memoryStore()
    const target = await app({ store })
    const agent = await target.login('carol')
    const cookie = target.cookieOf(agent)
    const ctx = (): StoreContext => ({
      jar: new CookieJar(cookie),
      cookie: { name: 'oidc_session', attributes: { httpOnly: true, path: '/', sameSite: 'lax' } },
      now: Math.floor(Date.now() / 1000),
    })
    const inFlight = ctx()
    const loaded = await store.load(inFlight)
    expect(loaded.session).not.toBeNull()

    const response = await target.auth.logout(request(target, '/logout', cookie))
    expect(response.status).toBe(302)
    expect(expiredCookies(response)).toEqual(['oidc_session'])

    expect(await store.save(inFlight, loaded.session!)).toBe(false)
    expect(await store.load(ctx())).toEqual({ session: null, reason: 'revoked' })
    expect((await load(target.auth, target, cookie)).reason).toBe('revoked')
  })

  it('cookie store: every chunk of a chunked session is expired', async () => {
    const target = await app({ store: cookieStore({ secrets: [SECRET], maxCookieBytes: 700 }) })
    const agent = await target.login('dave')
    const chunks = agent.jar.all().filter((c) => c.name.startsWith('oidc_session'))
    expect(chunks.length).toBeGreaterThanOrEqual(2)
    const response = await agent.fetch(`${target.url}/logout`, {
      method: 'POST',
      headers: { origin: target.url },
    })
    expect(response.status).toBe(302)
    expect(agent.jar.all().filter((c) => c.name.startsWith('oidc_session'))).toEqual([])
    expect(provider.counters.revocation).toBe(1)
  })
})

describe('logout CSRF (Sec-Fetch-Site / Origin)', () => {
  const origin = 'http://127.0.0.1:9'
  it('isCrossSite: same-origin and user navigations pass; same-site, cross-site and foreign Origin do not', () => {
    const check = (headers: Record<string, string>) =>
      isCrossSite({ url: '/logout', headers }, origin)
    expect(check({})).toBe(false)
    expect(check({ 'sec-fetch-site': 'same-origin' })).toBe(false)
    expect(check({ 'sec-fetch-site': 'none' })).toBe(false)
    expect(check({ origin })).toBe(false)
    expect(check({ origin: 'null' })).toBe(false)
    expect(check({ 'sec-fetch-site': 'same-site' })).toBe(true)
    expect(check({ 'sec-fetch-site': 'cross-site' })).toBe(true)
    expect(check({ origin: 'http://127.0.0.1:10' })).toBe(true)
    expect(check({ 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' })).toBe(true)
  })

  it('GET and POST from the app log out; cross-site, same-site and a foreign Origin get 403 and keep the session', async () => {
    const target = await app()
    const agent = await target.login('erin')
    const cookie = target.cookieOf(agent)
    const refused: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
      { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate' },
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' },
    ]
    for (const method of ['GET', 'POST']) {
      for (const headers of refused) {
        const response = await target.auth.logout({
          ...request(target, '/logout', cookie, headers),
          method,
        })
        expect(response.status).toBe(403)
        expect(response.headers.getSetCookie()).toEqual([])
      }
    }
    expect((await load(target.auth, target, cookie)).session?.sub).toBe('erin')
    expect(provider.counters.revocation).toBe(0)

    const get = await target.auth.logout(
      request(target, '/logout', cookie, { 'sec-fetch-site': 'same-origin' }),
    )
    expect(endSessionParams(get).get('id_token_hint')).toBeTruthy()
    const again = await target.login('erin', new Agent())
    const post = await target.auth.logout({
      ...request(target, '/logout', target.cookieOf(again), {
        origin: target.url,
        'sec-fetch-site': 'same-origin',
      }),
      method: 'POST',
    })
    expect(endSessionParams(post).get('id_token_hint')).toBeTruthy()
    expect(provider.counters.revocation).toBe(2)
  })
})

describe('post-logout redirect', () => {
  it('honours an allow-listed post_logout_redirect_uri and ignores any other', async () => {
    const target = await app(({ url }) => ({ logout: { postLogoutRedirectUris: [`${url}/bye`] } }))
    const bye = `${target.url}/bye`
    const asked = await target.auth.logout(
      request(target, `/logout?post_logout_redirect_uri=${encodeURIComponent(bye)}`, ''),
    )
    expect(endSessionParams(asked).get('post_logout_redirect_uri')).toBe(bye)
    const evil = await target.auth.logout(
      request(target, '/logout?post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F', ''),
    )
    expect(endSessionParams(evil).get('post_logout_redirect_uri')).toBe(`${target.url}/`)
    const option = await target.auth.logout(request(target, '/logout', ''), {
      postLogoutRedirectUri: bye,
      state: 'st-1',
    })
    expect(endSessionParams(option).get('post_logout_redirect_uri')).toBe(bye)
    expect(endSessionParams(option).get('state')).toBe('st-1')
    // Without a session there is no hint at all, and nothing to revoke.
    expect(endSessionParams(option).has('id_token_hint')).toBe(false)
    expect(endSessionParams(option).has('logout_hint')).toBe(false)
    expect(provider.counters.revocation).toBe(0)
  })

  it('a provider without end_session_endpoint: local logout, then the post-logout URI', async () => {
    const target = await app({
      http: {
        // The real discovery document, minus its end_session_endpoint.
        fetch: async (input, init) => {
          const response = await fetch(input, init)
          if (
            !String(input instanceof Request ? input.url : input).endsWith('/openid-configuration')
          )
            return response
          const metadata = (await response.json()) as Record<string, unknown>
          delete metadata.end_session_endpoint
          return Response.json(metadata)
        },
      },
    })
    const agent = await target.login('frank')
    const response = await target.auth.logout(request(target, '/logout', target.cookieOf(agent)))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`${target.url}/`)
    expect(expiredCookies(response)).toEqual(['oidc_session'])
    expect(provider.counters.revocation).toBe(1)
    expect(provider.counters.endSession).toBe(0)
  })
})
