/**
 * The smoke test every runtime passes: seal/open inside the runtime, then login → `/api/me` →
 * the app's clock past the access token's expiry → `/api/me` refreshes once (new cookie) →
 * logout to the provider's end-session endpoint with an `id_token_hint` → `/api/me` 401.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Agent } from '../../fixtures/agent.js'
import {
  DEFAULT_CLIENT,
  ROUTES,
  clientMetadata,
  freePort,
  startProvider,
  type TestProvider,
} from '../../fixtures/provider.js'
import type { Runtime } from './build.js'
import { startApp, type RunningApp } from './runtimes.js'

/** Access tokens live 5 minutes: fresh after login (leeway 60 s), expired once the app's clock runs 10 minutes ahead. */
const ACCESS_TOKEN_TTL = 300
const CLOCK_AHEAD = 600
const SESSION_COOKIE = 'oidc_session'

const json = { accept: 'application/json' }
const navigation = {
  accept: 'text/html,application/xhtml+xml',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
  'sec-fetch-site': 'none',
}

/** The session cookie's value (or its chunks, joined) in a list of `Set-Cookie` lines. */
function sessionCookie(lines: string[]): string | undefined {
  const values = lines
    .map((line) => /^([^=]+)=([^;]*)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .filter(([, name]) => name === SESSION_COOKIE || name?.startsWith(`${SESSION_COOKIE}.`))
    .map(([, , value]) => value ?? '')
  return values.length === 0 ? undefined : values.join('')
}

/**
 * Declare the smoke suite for `runtime`.
 *
 * @param runtime the runtime under test
 */
export function smokeSuite(runtime: Runtime): void {
  describe(`the core on ${runtime}`, () => {
    let provider: TestProvider
    let app: RunningApp

    beforeAll(async () => {
      provider = await startProvider({
        accessTokenTtl: ACCESS_TOKEN_TTL,
        idTokenTtl: 3600,
        rotateRefreshToken: true,
      })
      const port = await freePort()
      await provider.registerClient(clientMetadata(`http://127.0.0.1:${port}`))
      app = await startApp(runtime, {
        port,
        env: {
          OIDC_ISSUER: provider.issuer,
          OIDC_CLIENT_ID: DEFAULT_CLIENT.id,
          OIDC_CLIENT_SECRET: DEFAULT_CLIENT.secret,
          SESSION_SECRET: `${runtime}-session-secret-for-tests-0123456789`,
        },
      })
      console.info(`${runtime}: ${app.version}, answered ${app.startupMs} ms after spawn`)
    })

    afterAll(async () => {
      await app?.stop()
      await provider?.close()
    })

    it('seals and opens a session with the cookie store inside the runtime', async () => {
      const response = await fetch(`${app.url}/__test/seal`)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({
        saved: true,
        cookies: 1,
        sealedBytes: expect.any(Number) as unknown,
        roundTrip: true,
        tampered: 'tampered',
      })
    })

    it('logs in, refreshes once when the access token expires, logs out', async () => {
      const agent = new Agent()
      const me = () => agent.fetch(`${app.url}/api/me`, { headers: json })

      // Not logged in: an API call gets 401 JSON, a navigation a 302 to login.
      const anonymous = await me()
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get('content-type')).toMatch(/application\/json/)
      const page = await agent.fetch(`${app.url}/`, { headers: navigation })
      expect(page.status).toBe(302)
      expect(page.headers.get('location')).toMatch(new RegExp(`^${app.url}/login\\?`))

      const login = await agent.login(`${app.url}/login?returnTo=/`)
      expect(login.url).toBe(`${app.url}/`)
      expect(await login.response.text()).toContain('Signed in as alice')

      const first = await me()
      expect(first.status).toBe(200)
      const before = (await first.json()) as { sub: string; sid: string; expiresAt: number }
      expect(before).toEqual({
        sub: 'alice',
        sid: expect.any(String) as unknown,
        expiresAt: expect.any(Number) as unknown,
      })
      expect(provider.counters.token.refresh_token ?? 0).toBe(0)
      const cookieBefore = agent.jar.get(SESSION_COOKIE, app.url)
      expect(cookieBefore).toBeDefined()

      const clock = await fetch(`${app.url}/__test/clock?offsetSeconds=${CLOCK_AHEAD}`, {
        method: 'POST',
      })
      expect(clock.status).toBe(200)

      const second = await me()
      expect(second.status).toBe(200)
      const after = (await second.json()) as typeof before
      expect(provider.counters.token.refresh_token).toBe(1)
      expect(after.sub).toBe('alice')
      expect(after.sid).toBe(before.sid)
      expect(after.expiresAt).toBeGreaterThan(before.expiresAt)
      const renewed = sessionCookie(second.headers.getSetCookie())
      expect(renewed).toBeDefined()
      expect(renewed).not.toBe(cookieBefore)

      const stats = (await (await fetch(`${app.url}/__test/stats`)).json()) as {
        refresh: Record<string, number>
        refreshErrors: string[]
      }
      expect(stats.refresh).toEqual({ provider: 1 })
      expect(stats.refreshErrors).toEqual([])

      // A logout link clicked on the app's own page (Fetch Metadata says same-origin).
      const logout = await agent.fetch(`${app.url}/logout`, {
        headers: { ...navigation, 'sec-fetch-site': 'same-origin' },
      })
      expect(logout.status).toBe(302)
      const location = new URL(logout.headers.get('location') ?? '')
      expect(`${location.origin}${location.pathname}`).toBe(
        `${provider.issuer}${ROUTES.end_session}`,
      )
      const hint = location.searchParams.get('id_token_hint')
      expect(hint).not.toBeNull()
      expect(decodeJwt(hint ?? '')).toMatchObject({ sub: 'alice', sid: before.sid })
      expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${app.url}/`)
      // The logout used the refreshed id_token as it was: no second refresh.
      expect(provider.counters.token.refresh_token).toBe(1)

      const gone = await me()
      expect(gone.status).toBe(401)
      expect(gone.headers.get('content-type')).toMatch(/application\/json/)
    })
  })
}
