/**
 * Cookie-store logout ends the session for every copy of the cookie and every instance sharing the
 * revocation list: a copy taken before logout, a copy from before the last refresh (the
 * recent-result cache must not revive it), and a refresh in flight when logout runs. Plus the
 * start-up warning about an in-process revocation list beside shared parts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  createOidcSession,
  memoryLock,
  memoryResultCache,
  memoryRevocationList,
  type RefreshLock,
} from 'oidc-session'
import { absorb, startAppBed, type AppBed } from '../fixtures/app-bed.js'
import { startProvider, type TestProvider } from '../fixtures/provider.js'

let provider: TestProvider
let bed: AppBed
/** Milliseconds the token endpoint's refresh answers are held back (a refresh in flight). */
let holdRefreshMs = 0

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
  bed = await startAppBed({
    provider,
    session: {
      http: {
        fetch: async (input, init) => {
          const response = await fetch(input, init)
          const body = init?.body
          if (holdRefreshMs > 0 && String(body ?? '').includes('grant_type=refresh_token'))
            await new Promise((resolve) => setTimeout(resolve, holdRefreshMs))
          return response
        },
      },
    },
  })
})

afterAll(async () => {
  await bed?.close()
  await provider?.close()
})

beforeEach(() => {
  bed.clock.seconds = 0
  holdRefreshMs = 0
  provider.counters.reset()
})

async function logout(cookie: string): Promise<Response> {
  const response = await bed.auth.logout(
    new Request(`${bed.url}/logout`, {
      method: 'POST',
      headers: { cookie, origin: bed.url, accept: 'text/html' },
    }),
  )
  expect(response.status).toBe(302)
  return response
}

describe('cookie-store logout ends the session everywhere', () => {
  it('a copy of the cookie taken before logout is refused afterwards (logout-copy-refused)', async () => {
    const agent = await bed.login('copy-before-logout')
    const copy = bed.cookieOf(agent)
    expect((await bed.auth.authenticate(bed.request(copy))).ok).toBe(true)
    await logout(copy)
    const replay = await bed.auth.authenticate(bed.request(copy))
    expect(replay).toMatchObject({ ok: false, reason: 'revoked' })
    const page = await bed.auth.protect(bed.request(copy))
    expect(page.response?.status).toBe(401)
  })

  it('a copy from before the last refresh is not handed the post-logout tokens (logout-pre-refresh-copy)', async () => {
    const agent = await bed.login('copy-before-refresh')
    const preRefresh = bed.cookieOf(agent)
    bed.clock.seconds = 400 // past the access token's expiry: the next request refreshes
    const refreshed = await bed.auth.authenticate(bed.request(preRefresh))
    expect(refreshed.reason).toBe('refreshed')
    const current = absorb(agent, bed.url, refreshed.headers)
    await logout(current)
    const calls = provider.counters.token.refresh_token ?? 0
    const replay = await bed.auth.authenticate(bed.request(preRefresh))
    expect(replay).toMatchObject({ ok: false, reason: 'revoked' })
    expect(provider.counters.token.refresh_token ?? 0).toBe(calls)
  })

  it('a refresh in flight when logout runs cannot set a live cookie afterwards (logout-during-refresh)', async () => {
    const agent = await bed.login('refresh-in-flight')
    const cookie = bed.cookieOf(agent)
    bed.clock.seconds = 400
    holdRefreshMs = 300
    const refreshing = bed.auth.authenticate(bed.request(cookie))
    await new Promise((resolve) => setTimeout(resolve, 50)) // the refresh is at the provider
    const loggedOut = logout(cookie)
    const [result] = await Promise.all([refreshing, loggedOut])
    holdRefreshMs = 0
    // Whatever the racing request answered, the cookie it sets is dead.
    const after = absorb(agent, bed.url, result.headers)
    const replay = await bed.auth.authenticate(bed.request(after))
    expect(replay.ok).toBe(false)
    expect(['revoked', 'none']).toContain(replay.reason)
  })
})

describe('the in-process revocation list beside shared parts', () => {
  const base = {
    issuer: 'http://127.0.0.1:1',
    client: { id: 'app', secret: 'secret' },
    redirectUri: 'http://127.0.0.1:2/callback',
    secrets: ['warning-secret-warning-secret-warning-0123'],
  }
  const shared: RefreshLock = { ...memoryLock(), shared: undefined } as unknown as RefreshLock

  it('warns once at start-up when a shared lock is configured without a shared list', () => {
    const warnings: string[] = []
    createOidcSession({
      ...base,
      refresh: { lock: shared },
      logger: { warn: (message) => warnings.push(message) },
    })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/revocation list is in-process/)
    expect(warnings[0]).toMatch(/logout\.revocationList/)
  })

  it('says nothing for in-process parts, or with a list that declares itself shared', () => {
    const warnings: string[] = []
    const logger = { warn: (message: string) => warnings.push(message) }
    createOidcSession({ ...base, logger })
    createOidcSession({
      ...base,
      refresh: { lock: memoryLock(), resultCache: memoryResultCache() },
      logger,
    })
    const sharedList = { ...memoryRevocationList(), shared: true }
    createOidcSession({
      ...base,
      refresh: { lock: shared },
      logout: { revocationList: sharedList },
      logger,
    })
    expect(warnings).toEqual([])
  })
})
