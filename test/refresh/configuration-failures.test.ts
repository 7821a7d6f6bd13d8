/**
 * Failures that are configuration problems, not outages: a refreshed session too large for the
 * cookie store, and a refresh the provider refuses for another reason than `invalid_grant`. Neither
 * answers 503; neither sends the provider the same grant on every request.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  CookieTooLargeError,
  cookieStore,
  RefreshRefusedError,
  type SessionStore,
} from 'oidc-session'
import { BED_SECRET, startAppBed, type AppBed } from '../fixtures/app-bed.js'
import { startProvider, type TestProvider } from '../fixtures/provider.js'

let provider: TestProvider

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
})
afterAll(async () => {
  await provider?.close()
})
beforeEach(() => provider.counters.reset())

describe('a refresh that outgrows the cookie budget (refresh-session-too-large)', () => {
  let bed: AppBed
  beforeAll(async () => {
    const real = cookieStore({ secrets: [BED_SECRET] })
    // The login fits; every refreshed session is too large (as when a provider adds claims).
    const store: SessionStore = {
      stateful: false,
      load: (ctx) => real.load(ctx),
      destroy: (ctx, session) => real.destroy(ctx, session),
      save: async (ctx, session) => {
        if (session.tokens.refreshToken !== undefined && session.version > 0)
          throw new CookieTooLargeError(
            'the session cookies take 9000 bytes of the Cookie header, over the 7680-byte budget: use a stateful store such as redisStore (oidc-session/redis) or keep fewer claims',
          )
        return real.save(ctx, session)
      },
    }
    bed = await startAppBed({ provider, session: { store } })
  })
  afterAll(async () => {
    await bed?.close()
  })

  it('serves the new tokens, reports once as a configuration error, never answers 503', async () => {
    const agent = await bed.login('too-large')
    const cookie = bed.cookieOf(agent)
    bed.clock.seconds = 400
    const first = await bed.auth.protect(bed.request(cookie))
    expect(first.ok).toBe(true)
    expect(first.reason).toBe('refreshed')
    expect(first.ok && first.warning).toBeInstanceOf(CookieTooLargeError)
    expect(first.ok && first.warning?.transient).toBe(false)
    expect(first.headers.getSetCookie()).toEqual([])
    expect(provider.counters.token.refresh_token).toBe(1)

    // The same (old) cookie again: served from the recent result, no token call, no new report.
    const second = await bed.auth.protect(bed.request(cookie))
    expect(second.ok).toBe(true)
    expect(provider.counters.token.refresh_token).toBe(1)
    expect(bed.events.filter((e) => e.name === 'sessionTooLarge')).toHaveLength(1)
    const warnings = bed.events.filter((e) => e.name === 'warn')
    expect(warnings).toHaveLength(1)
    expect(String(warnings[0]!.payload.message)).toMatch(/redisStore|fewer claims/)
    expect(bed.events.find((e) => e.name === 'sessionTooLarge')!.payload).toMatchObject({
      code: 'ERR_COOKIE_TOO_LARGE',
    })
  })

  it('as an error answer: 500 with the code and the advice, no Retry-After', () => {
    const error = new CookieTooLargeError('over budget: use a stateful store such as redisStore')
    const api = bed.auth.errorResponse(
      { url: '/api/me', headers: { accept: 'application/json' } },
      error,
    )
    expect(api.status).toBe(500)
    expect(api.headers.get('retry-after')).toBeNull()
  })
})

describe('a refresh refused for another reason than invalid_grant (refresh-refused)', () => {
  it('gets reason refresh-failed, 401 instead of 503, and no second token call', async () => {
    const bed = await startAppBed({ provider })
    try {
      const agent = await bed.login('refused')
      const cookie = bed.cookieOf(agent)
      // The client's secret changes at the provider: the refresh is refused (invalid_client).
      await provider.registerClient({
        client_id: bed.clientId,
        client_secret: 'rotated-secret-rotated-secret-rotated-0123',
        redirect_uris: [`${bed.url}/callback`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      })
      provider.counters.reset()
      bed.clock.seconds = 400
      const result = await bed.auth.authenticate(bed.request(cookie))
      expect(result).toMatchObject({ ok: false, reason: 'refresh-failed' })
      expect(result.error).toBeInstanceOf(RefreshRefusedError)
      expect(result.error).toMatchObject({ code: 'ERR_REFRESH_REFUSED', transient: false })
      expect(provider.counters.token.refresh_token).toBe(1)

      const again = await bed.auth.protect(bed.request(cookie))
      expect(again.response?.status).toBe(401)
      expect(again.response?.headers.get('retry-after')).toBeNull()
      const page = await bed.auth.protect(
        bed.request(cookie, '/', { accept: 'text/html', 'sec-fetch-mode': 'navigate' }),
      )
      expect(page.response?.status).toBe(302)
      expect(provider.counters.token.refresh_token).toBe(1) // remembered per grant
    } finally {
      await bed.close()
    }
  })
})
