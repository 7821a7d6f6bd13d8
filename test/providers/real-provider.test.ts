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

import { createOidcSession } from 'oidc-session'
import {
  BED_SECRET,
  requestTo,
  startAppBed,
  type AppBed,
  type AppBedOptions,
} from '../fixtures/app-bed.js'
import { startProvider, type ProviderContext, type TestProvider } from '../fixtures/provider.js'

const beds: AppBed[] = []
const providers: TestProvider[] = []

afterAll(async () => {
  await Promise.all(beds.map((bed) => bed.close()))
  await Promise.all(providers.map((provider) => provider.close()))
})

/** An app bed on `provider` (closed after the file); its clock runs ahead of the provider's. */
async function bedOn(
  provider: TestProvider,
  session: AppBedOptions['session'] = {},
): Promise<AppBed> {
  const bed = await startAppBed({ provider, session })
  beds.push(bed)
  return bed
}

const endReasons = (bed: AppBed) =>
  bed.events.filter((event) => event.name === 'sessionEnded').map((event) => event.payload.reason)

describe('a provider that never rotates refresh tokens (rotateRefreshToken: false)', () => {
  let provider: TestProvider
  beforeAll(async () => {
    provider = await startProvider({ rotateRefreshToken: false })
    providers.push(provider)
  })

  it('refreshes again and again with the same refresh token; a stale cached result is never served', async () => {
    const bed = await bedOn(provider)
    const cookie = bed.cookieOf(await bed.login('norotate'))
    const first = (await bed.auth.authenticate(bed.request(cookie))).session!
    provider.counters.reset()
    const tokens: string[] = []
    for (const round of [1, 2]) {
      bed.clock.seconds += 61
      // The original cookie every time: the second round's cached result has expired as well.
      const result = await bed.auth.authenticate(bed.request(cookie))
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
      const bed = await bedOn(provider)
      const started = await fetch(`${bed.url}/login`, { redirect: 'manual' })
      const scope = new URL(started.headers.get('location')!).searchParams.get('scope')
      expect(scope).toBe('openid profile')
      // The fixture's provider still issues a refresh token (its issueRefreshToken policy).
      const cookie = bed.cookieOf(await bed.login('noscope'))
      const session = (await bed.auth.authenticate(bed.request(cookie))).session!
      expect(session.tokens.scope?.split(' ')).not.toContain('offline_access')

      const explicit = await bedOn(provider, { scope: 'openid profile offline_access' })
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
      const bed = await bedOn(provider)
      const cookie = bed.cookieOf(await bed.login('idle'))
      const before = Math.floor(Date.now() / 1000)
      const first = (await bed.auth.authenticate(bed.request(cookie))).session!
      expect(first.tokens.refreshExpiresAt).toBeGreaterThanOrEqual(before + 120 - 1)
      expect(first.tokens.refreshExpiresAt).toBeLessThanOrEqual(before + 120 + 1)

      bed.clock.seconds += 61
      const refreshed = await bed.auth.authenticate(bed.request(cookie))
      expect(refreshed.reason).toBe('refreshed')
      const renewed = refreshed.session!.tokens.refreshExpiresAt!
      expect(renewed).toBeGreaterThan(first.tokens.refreshExpiresAt!)
      const refreshedCookie = refreshed.headers
        .getSetCookie()
        .map((line) => line.split(';')[0])
        .join('; ')

      bed.clock.seconds += 200 // idle past the refresh token's expiry
      provider.counters.reset()
      const result = await bed.auth.protect(
        requestTo(bed, '/reports', refreshedCookie, {
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
      expect(endReasons(bed)).toEqual(['refresh-expired'])
    } finally {
      tweaks.refreshExpiresIn = undefined
    }
  })

  it('a configured issuer that is not the discovered one is a configuration error: 500 naming both, no Retry-After', async () => {
    const bed = await bedOn(provider)
    const typo = provider.issuer.replace('127.0.0.1', 'localhost')
    const auth = createOidcSession({
      issuer: typo,
      client: { id: bed.clientId, secret: bed.clientSecret },
      redirectUri: `${bed.url}/callback`,
      secrets: [BED_SECRET],
      now: () => Date.now() + 61_000,
    })
    const login = (await auth.handler(new Request(`${bed.url}/login`)))!
    expect(login.status).toBe(500)
    expect(login.headers.get('retry-after')).toBeNull()
    const page = await login.text()
    expect(page).toContain(typo)
    expect(page).toContain(provider.issuer)

    const api = (await auth.handler(
      new Request(`${bed.url}/login`, { headers: { accept: 'application/json' } }),
    ))!
    expect(api.status).toBe(500)
    expect(await api.json()).toMatchObject({ code: 'ERR_DISCOVERY_ISSUER_MISMATCH' })

    // A session made by the correctly configured app, due for refresh under the typo.
    const cookie = bed.cookieOf(await bed.login('typo'))
    const result = await auth.protect(bed.request(cookie))
    expect(result.ok).toBe(false)
    expect(result.response?.status).toBe(500)
    expect(result.response?.headers.get('retry-after')).toBeNull()
    const authResult = await auth.authenticate(bed.request(cookie))
    expect(authResult.error?.code).toBe('ERR_DISCOVERY_ISSUER_MISMATCH')
    expect(authResult.error?.transient).toBe(false)
  })
})
