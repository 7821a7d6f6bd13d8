/**
 * The provider-table rows that the real OpenID Provider of the tests (`oidc-provider`,
 * test/fixtures/provider.ts) can imitate, end to end through the Express example and a browser-less
 * agent: a provider that never rotates refresh tokens (Google, Cognito), a discovery document whose
 * `scopes_supported` lacks `offline_access` (Google, Cognito), token responses with
 * `refresh_expires_in` (Keycloak), and a configured issuer that is not the discovered one (a typo,
 * the Entra template case).
 *
 * The library's clock runs ahead of the provider's (`now` option) where a test needs expiry: the
 * provider still validates and issues tokens on the real clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createOidcSession, type SessionEndReason } from 'oidc-session'
import { startProvider, type ProviderContext, type TestProvider } from '../fixtures/provider.js'
import { cookieOf, request, SECRET, signIn, startApp, type TestApp } from '../logout/support.js'

const apps: TestApp[] = []
const providers: TestProvider[] = []

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()))
  await Promise.all(providers.map((provider) => provider.close()))
})

/** A library clock that tests move forward (seconds); the provider keeps the real one. */
function skewedClock() {
  let offset = 0
  return {
    now: () => Date.now() + offset * 1000,
    advance(seconds: number) {
      offset += seconds
    },
  }
}

describe('a provider that never rotates refresh tokens (rotateRefreshToken: false)', () => {
  let provider: TestProvider
  beforeAll(async () => {
    provider = await startProvider({ rotateRefreshToken: false })
    providers.push(provider)
  })

  it('refreshes again and again with the same refresh token; a stale cached result is never served', async () => {
    const clock = skewedClock()
    const app = await startApp(provider, { now: clock.now })
    apps.push(app)
    const cookie = cookieOf(await signIn(app, 'norotate'), app)
    const first = (await app.auth.authenticate(request(app, '/', cookie))).session!
    provider.counters.reset()
    const tokens: string[] = []
    for (const round of [1, 2]) {
      clock.advance(61)
      // The original cookie every time: the second round's cached result has expired as well.
      const result = await app.auth.authenticate(request(app, '/', cookie))
      expect(result.reason).toBe('refreshed')
      expect(result.session?.tokens.refreshToken).toBe(first.tokens.refreshToken)
      tokens.push(result.session!.tokens.accessToken)
      expect(provider.counters.token.refresh_token).toBe(round)
    }
    expect(new Set([first.tokens.accessToken, ...tokens]).size).toBe(3)
    expect(provider.counters.tokenErrors).toEqual({})
  })
})

describe('one provider, changed by middleware', () => {
  let provider: TestProvider
  const tweaks = { dropOfflineAccess: false, refreshExpiresIn: undefined as number | undefined }
  beforeAll(async () => {
    const imitate = async (ctx: ProviderContext, next: () => Promise<void>) => {
      await next()
      const body = ctx.body as Record<string, unknown> | undefined
      if (typeof body !== 'object' || body === null) return
      if (
        tweaks.dropOfflineAccess &&
        ctx.path === '/.well-known/openid-configuration' &&
        Array.isArray(body.scopes_supported)
      )
        ctx.body = {
          ...body,
          scopes_supported: body.scopes_supported.filter((scope) => scope !== 'offline_access'),
        }
      if (
        tweaks.refreshExpiresIn !== undefined &&
        ctx.path === '/token' &&
        typeof body.refresh_token === 'string'
      )
        ctx.body = { ...body, refresh_expires_in: tweaks.refreshExpiresIn }
    }
    provider = await startProvider({ accessTokenTtl: 60, middleware: [imitate] })
    providers.push(provider)
  })

  it('scopes_supported without offline_access: the default scope leaves it out, an explicit one does not', async () => {
    tweaks.dropOfflineAccess = true
    try {
      const app = await startApp(provider)
      apps.push(app)
      const started = await fetch(`${app.url}/login`, { redirect: 'manual' })
      const scope = new URL(started.headers.get('location')!).searchParams.get('scope')
      expect(scope).toBe('openid profile')
      // The fixture's provider still issues a refresh token (its issueRefreshToken policy).
      const cookie = cookieOf(await signIn(app, 'noscope'), app)
      const session = (await app.auth.authenticate(request(app, '/', cookie))).session!
      expect(session.tokens.scope?.split(' ')).not.toContain('offline_access')

      const explicit = await startApp(provider, { scope: 'openid profile offline_access' })
      apps.push(explicit)
      const again = await fetch(`${explicit.url}/login`, { redirect: 'manual' })
      expect(new URL(again.headers.get('location')!).searchParams.get('scope')).toBe(
        'openid profile offline_access',
      )
    } finally {
      tweaks.dropOfflineAccess = false
    }
  })

  it('refresh_expires_in: the session knows it, and past it ends as refresh-expired with no token call', async () => {
    tweaks.refreshExpiresIn = 120
    try {
      const clock = skewedClock()
      const ended: SessionEndReason[] = []
      const app = await startApp(provider, {
        now: clock.now,
        events: { sessionEnded: ({ reason }) => void ended.push(reason) },
      })
      apps.push(app)
      const cookie = cookieOf(await signIn(app, 'idle'), app)
      const before = Math.floor(clock.now() / 1000)
      const first = (await app.auth.authenticate(request(app, '/', cookie))).session!
      expect(first.tokens.refreshExpiresAt).toBeGreaterThanOrEqual(before + 120 - 1)
      expect(first.tokens.refreshExpiresAt).toBeLessThanOrEqual(before + 120 + 1)

      clock.advance(61)
      const refreshed = await app.auth.authenticate(request(app, '/', cookie))
      expect(refreshed.reason).toBe('refreshed')
      const renewed = refreshed.session!.tokens.refreshExpiresAt!
      expect(renewed).toBeGreaterThan(first.tokens.refreshExpiresAt!)
      const refreshedCookie = refreshed.headers
        .getSetCookie()
        .map((line) => line.split(';')[0])
        .join('; ')

      clock.advance(200) // idle past the refresh token's expiry
      provider.counters.reset()
      const result = await app.auth.protect(
        request(app, '/reports', refreshedCookie, {
          'sec-fetch-mode': 'navigate',
          'sec-fetch-dest': 'document',
          accept: 'text/html',
        }),
      )
      expect(result.reason).toBe('refresh-expired')
      expect(result.response?.status).toBe(302)
      const location = new URL(result.response!.headers.get('location')!)
      expect(location.pathname).toBe('/login')
      expect(location.searchParams.has('reconsent')).toBe(false) // only Google needs consent again
      expect(provider.counters.token).toEqual({})
      expect(ended).toEqual(['refresh-expired'])
    } finally {
      tweaks.refreshExpiresIn = undefined
    }
  })

  it('a configured issuer that is not the discovered one is a configuration error: 500 naming both, no Retry-After', async () => {
    const app = await startApp(provider)
    apps.push(app)
    const typo = provider.issuer.replace('127.0.0.1', 'localhost')
    const clock = skewedClock()
    const auth = createOidcSession({
      issuer: typo,
      client: { id: app.clientId, secret: app.clientSecret },
      redirectUri: `${app.url}/callback`,
      secrets: [SECRET],
      now: clock.now,
    })
    const login = (await auth.handler(new Request(`${app.url}/login`)))!
    expect(login.status).toBe(500)
    expect(login.headers.get('retry-after')).toBeNull()
    const page = await login.text()
    expect(page).toContain(typo)
    expect(page).toContain(provider.issuer)

    const api = (await auth.handler(
      new Request(`${app.url}/login`, { headers: { accept: 'application/json' } }),
    ))!
    expect(api.status).toBe(500)
    expect(await api.json()).toMatchObject({ code: 'ERR_DISCOVERY_ISSUER_MISMATCH' })

    // A session made by the correctly configured app, due for refresh under the typo.
    const cookie = cookieOf(await signIn(app, 'typo'), app)
    clock.advance(61)
    const result = await auth.protect(request(app, '/', cookie))
    expect(result.ok).toBe(false)
    expect(result.response?.status).toBe(500)
    expect(result.response?.headers.get('retry-after')).toBeNull()
    const authResult = await auth.authenticate(request(app, '/', cookie))
    expect(authResult.error?.code).toBe('ERR_DISCOVERY_ISSUER_MISMATCH')
    expect(authResult.error?.transient).toBe(false)
  })
})
