/**
 * The examples contract, run against a Next.js example under `next start` and the real provider:
 * login, the protected Server Component page, the APIs, a burst of 50 API calls after expiry
 * (one refresh, no `invalid_grant`), late pre-refresh cookies, logout with the freshest
 * `id_token_hint`, back-channel logout (or, on Edge, its documented refusal), the pre-logout
 * cookie refused.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { CookieJar, cookieStore, type SessionStore } from 'oidc-session'
import { redisStore } from 'oidc-session/redis'
import { Agent } from '../fixtures/agent.js'
import { NAVIGATION_HEADERS as NAV, rawRequest } from '../fixtures/navigate.js'
import type { TestProvider } from '../fixtures/provider.js'
import type { NextExample } from './next-support.js'

const API = { accept: 'application/json' }
const COOKIE = 'oidc_session'

/** How a variant is set up and what it promises. */
export interface Variant {
  name: string
  provider: () => TestProvider
  app: () => NextExample
  /** Redis URL when the sessions live in Redis. */
  redisUrl?: () => string
  /** `delivered`: the app ends the session; `refused`: it answers the provider 400 (Edge, no shared list). */
  backchannel: 'delivered' | 'refused'
}

/** The `Cookie` header value of a `Set-Cookie` line. */
const pairOf = (line: string) => line.split(';')[0] ?? ''

/**
 * oidc-provider signs deterministically: an id_token issued in the same second with the same
 * claims is byte-identical. Waiting for the next second tells the refreshed one from the login one.
 */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1010 - (Date.now() % 1000)))

/** The access-token expiry the Server Component printed. */
const renderedExpiry = (html: string) => Number(/id="expires-at" datetime="(\d+)"/i.exec(html)?.[1])

/** Run the contract for one variant. */
export function describeContract(variant: Variant): void {
  describe(`${variant.name}: the examples contract under next start`, () => {
    let store: SessionStore | undefined
    let client: Redis | undefined

    const provider = () => variant.provider()
    const app = () => variant.app()

    afterAll(() => client?.disconnect())

    /** The session a cookie header opens to (read straight from the store: never refreshes). */
    async function open(cookie: string) {
      if (variant.redisUrl) client ??= new Redis(variant.redisUrl())
      store ??= client ? redisStore({ client }) : cookieStore({ secrets: [app().secret] })
      const loaded = await store.load({
        jar: new CookieJar(cookie),
        cookie: { name: COOKIE, attributes: {} },
        now: Math.floor(Date.now() / 1000),
      })
      if (!loaded.session) throw new Error(`no session in the cookie (${loaded.reason})`)
      return loaded.session
    }

    async function login(username: string): Promise<Agent> {
      const agent = new Agent()
      const { response, url } = await agent.login(`${app().url}/login?returnTo=/`, { username })
      expect(response.status, app().output()).toBe(200)
      expect(new URL(url).pathname).toBe('/')
      expect(await response.text()).toContain(`<span id="sub">${username}</span>`)
      return agent
    }

    const sessionCookies = (agent: Agent) =>
      agent.jar.all().filter((c) => c.name === COOKIE || c.name.startsWith(`${COOKIE}.`))

    beforeEach(async () => {
      await app().setClock(0)
      provider().counters.reset()
    })

    it('logs in through /login and /callback, then renders the protected Server Component page', async () => {
      const agent = await login('alice')
      expect(sessionCookies(agent).map((c) => c.name)).toEqual([COOKIE])
      expect(agent.jar.all().some((c) => c.name.includes('_tx.'))).toBe(false)
      const page = await rawRequest(`${app().url}/`, {
        headers: { ...NAV, cookie: agent.jar.header(app().url) },
      })
      expect(page.status).toBe(200)
      expect(page.body).toContain('<span id="sub">alice</span>')
    })

    it('answers an unauthenticated navigation with an absolute 302 to /login and an API call with 401 JSON', async () => {
      const page = await rawRequest(`${app().url}/`, { headers: NAV })
      // The proxy answers an absolute Location (a relative one is a 500 in Next.js); Next.js then
      // shortens a same-host one to a path.
      expect(page.status, app().output()).toBe(302)
      expect(new URL(String(page.headers.location), app().url).href).toBe(
        `${app().url}/login?returnTo=%2F`,
      )
      expect(page.headers['set-cookie']).toBeUndefined()
      const api = await fetch(`${app().url}/api/me`, { headers: API })
      expect(api.status).toBe(401)
      expect(await api.json()).toMatchObject({
        error: 'unauthorized',
        login_url: '/login?returnTo=%2Fapi%2Fme',
      })
      expect(api.headers.getSetCookie()).toEqual([])
    })

    it('serves /api/me from the session and /api/userinfo from the provider', async () => {
      const agent = await login('bob')
      const me = await agent.fetch(`${app().url}/api/me`, { headers: API })
      expect(me.status).toBe(200)
      const body = (await me.json()) as { sub: string; sid: string | null; expiresAt: number }
      expect(body.sub).toBe('bob')
      expect(typeof body.sid).toBe('string')
      expect(body.expiresAt).toBeGreaterThan(Date.now() / 1000)
      const info = await agent.fetch(`${app().url}/api/userinfo`, { headers: API })
      expect(info.status).toBe(200)
      expect(((await info.json()) as { sub: string }).sub).toBe('bob')
      expect(provider().counters.userinfo).toBe(1)
    })

    it('after expiry, 50 concurrent API calls make one refresh; late pre-refresh cookies and the Server Component get the new session', async () => {
      const agent = await login('carol')
      const before = agent.jar.header(app().url)
      const loginTokens = (await open(before)).tokens
      await app().setClock(400) // past the access token's 300 s
      provider().counters.reset()

      const burst = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fetch(`${app().url}/api/me?n=${i}`, { headers: { ...API, cookie: before } }),
        ),
      )
      const bodies = (await Promise.all(burst.map((r) => r.json()))) as { expiresAt: number }[]
      expect(burst.map((r) => r.status)).toEqual(burst.map(() => 200))
      expect(provider().counters.token.refresh_token, app().output()).toBe(1)
      expect(provider().counters.tokenErrors).toEqual({})
      const refreshedExpiry = bodies[0]!.expiresAt
      expect(refreshedExpiry).toBeGreaterThan((loginTokens.expiresAt ?? 0) + 300)
      expect(new Set(bodies.map((b) => b.expiresAt))).toEqual(new Set([refreshedExpiry]))
      if (!variant.redisUrl) {
        // Every answer carries the one new cookie (sealed once), and it opens to the new tokens.
        const lines = burst.map((r) => r.headers.getSetCookie().map(pairOf).join('; '))
        expect(new Set(lines).size).toBe(1)
        expect(lines[0]).toMatch(new RegExp(`^${COOKIE}=`))
        expect((await open(lines[0]!)).tokens.expiresAt).toBe(refreshedExpiry)
      }

      // A late request still carrying the pre-refresh cookie: served, no second refresh.
      const late = await fetch(`${app().url}/api/me?late`, { headers: { ...API, cookie: before } })
      expect(late.status).toBe(200)
      expect(((await late.json()) as { expiresAt: number }).expiresAt).toBe(refreshedExpiry)

      // The Server Component of a navigation with the pre-refresh cookie renders the refreshed
      // session the proxy forwarded (it never refreshes itself).
      const page = await rawRequest(`${app().url}/`, { headers: { ...NAV, cookie: before } })
      expect(page.status).toBe(200)
      expect(page.body).toContain('<span id="sub">carol</span>')
      expect(renderedExpiry(page.body)).toBe(refreshedExpiry)
      expect(provider().counters.token.refresh_token).toBe(1)
      expect(provider().counters.tokenErrors).toEqual({})
    })

    it('logs out with the freshest id_token_hint, even from a pre-refresh cookie; the pre-logout cookie is then refused', async () => {
      const agent = await login('dave')
      const stale = agent.jar.header(app().url)
      const loginIdToken = (await open(stale)).tokens.idToken
      await nextSecond()
      await app().setClock(400)
      expect((await agent.fetch(`${app().url}/api/me`, { headers: API })).status).toBe(200)
      const preLogout = agent.jar.header(app().url)
      const refreshed = await open(preLogout)
      expect(refreshed.tokens.idToken).toBeTruthy()
      expect(refreshed.tokens.idToken).not.toBe(loginIdToken)

      // A tab that never received the refreshed cookie logs out.
      const logout = await rawRequest(`${app().url}/logout`, {
        method: 'POST',
        headers: { origin: app().url, cookie: stale },
      })
      expect(logout.status, app().output()).toBe(302)
      const endSession = new URL(String(logout.headers.location))
      expect(endSession.origin).toBe(provider().issuer)
      expect(endSession.searchParams.get('id_token_hint')).toBe(refreshed.tokens.idToken)
      expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${app().url}/`)
      expect([logout.headers['set-cookie']].flat().join('\n')).toMatch(
        new RegExp(`^${COOKIE}=;.*Max-Age=0`, 'im'),
      )
      expect(provider().counters.revocation).toBe(1)

      // The user confirms at the provider, which calls the back-channel receiver. (Back to the
      // real time first: the logout token's `exp` is two minutes after its `iat`.)
      await app().setClock(0)
      const done = await agent.logoutAtProvider(endSession.href)
      expect(new URL(done.url).origin).toBe(app().url)
      const replay = () => fetch(`${app().url}/api/me`, { headers: { ...API, cookie: preLogout } })
      if (variant.backchannel === 'delivered') {
        expect(provider().counters.backchannelDelivered).toBe(1)
      } else {
        // Edge: the provider is told its back-channel call failed (the in-memory list cannot reach
        // other isolates). The logout itself recorded the session in this isolate's list — under
        // `next start` the only one —, and revoked the refresh token at the provider, so in any
        // other isolate the cookie ends at its next refresh.
        expect(provider().counters.backchannelFailed).toBe(1)
        expect(provider().counters.backchannelDelivered).toBe(0)
      }
      const refused = await replay()
      expect(refused.status).toBe(401)
      expect(await refused.json()).toMatchObject({
        error_description: 'no valid session (revoked)',
      })
      // The refresh token the logout followed to (the refreshed one) is dead at the provider.
      const grant = await fetch(`${provider().issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`${app().clientId}:${app().clientSecret}`)}`,
        },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshed.tokens.refreshToken!,
        }),
      })
      expect(grant.status).toBe(400)
      expect(await grant.json()).toMatchObject({ error: 'invalid_grant' })
    })

    it(
      variant.backchannel === 'delivered'
        ? 'a back-channel logout from the provider ends the session'
        : 'a back-channel logout is answered 400 (the documented Edge refusal), never a silent 200',
      async () => {
        const agent = await login('erin')
        const cookie = agent.jar.header(app().url)
        const end = new URL(`${provider().issuer}/session/end`)
        end.searchParams.set('client_id', app().clientId)
        await agent.logoutAtProvider(end.href)
        const me = await fetch(`${app().url}/api/me`, { headers: { ...API, cookie } })
        if (variant.backchannel === 'delivered') {
          expect(provider().counters.backchannelDelivered).toBe(1)
          expect(provider().counters.backchannelFailed).toBe(0)
          expect(me.status).toBe(401)
          expect(await me.json()).toMatchObject({ error_description: 'no valid session (revoked)' })
        } else {
          expect(provider().counters.backchannelDelivered).toBe(0)
          expect(provider().counters.backchannelFailed).toBe(1)
          expect(me.status).toBe(200)
          const direct = await fetch(`${app().url}/backchannel-logout`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ logout_token: 'x.y.z' }),
          })
          expect(direct.status).toBe(400)
          expect(direct.headers.get('cache-control')).toBe('no-store')
          expect(await direct.json()).toMatchObject({ error: 'backchannel_logout_unavailable' })
        }
      },
    )

    it('refuses a cross-site logout and keeps the session', async () => {
      const agent = await login('frank')
      const cookie = agent.jar.header(app().url)
      const get = await rawRequest(`${app().url}/logout`, {
        headers: { ...NAV, 'sec-fetch-site': 'cross-site', cookie },
      })
      expect(get.status).toBe(403)
      const post = await agent.fetch(`${app().url}/logout`, {
        method: 'POST',
        headers: { origin: 'https://evil.example' },
      })
      expect(post.status).toBe(403)
      expect((await agent.fetch(`${app().url}/api/me`, { headers: API })).status).toBe(200)
      expect(provider().counters.revocation).toBe(0)
    })
  })
}
