/**
 * The scheduler's lock path and the background refresh, against the real provider (rotation ON):
 * two managers that share a `RefreshLock` and a result cache (two "processes" in one) refresh a
 * grant once; `refresh.background` refreshes a due stateful session without blocking the request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createOidcSession,
  memoryResultCache,
  memoryStore,
  type OidcSession,
  type ResultCache,
} from 'oidc-session'
import { memoryLock } from '../../src/refresh/memory-lock.js'
import type { RefreshLock } from '../../src/refresh/lock.js'
import { BED_SECRET, startAppBed, type AppBed } from '../fixtures/app-bed.js'

describe('two managers sharing a lock and a result cache', () => {
  let bed: AppBed
  let lock: RefreshLock
  let cache: ResultCache
  let acquired = 0
  let other: OidcSession

  beforeAll(async () => {
    const clock = { seconds: 0 }
    const now = () => Date.now() + clock.seconds * 1000
    const inner = memoryLock({ now })
    lock = {
      acquire: async (key, leaseMs) => {
        const lease = await inner.acquire(key, leaseMs)
        if (lease) acquired += 1
        return lease
      },
      waitForRelease: (key, timeoutMs) => inner.waitForRelease(key, timeoutMs),
    }
    cache = memoryResultCache(100, now)
    bed = await startAppBed({ session: { now, refresh: { lock, resultCache: cache } } })
    bed.clock = clock
    other = createOidcSession({
      issuer: bed.provider.issuer,
      client: { id: bed.clientId, secret: bed.clientSecret },
      redirectUri: `${bed.url}/callback`,
      secrets: [BED_SECRET],
      now,
      refresh: { lock, resultCache: cache },
    })
  })
  afterAll(async () => {
    await bed?.close()
  })

  it('one refresh call for concurrent bursts on both; each asks the lock once per grant', async () => {
    const agent = await bed.login('frank')
    const cookie = agent.jar.header(bed.url)
    bed.provider.counters.reset()
    acquired = 0
    bed.clock.seconds = 400
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? other : bed.auth).authenticate(bed.request(cookie)),
      ),
    )
    expect(bed.provider.counters.token.refresh_token).toBe(1)
    expect(results.every((r) => r.reason === 'refreshed')).toBe(true)
    expect(new Set(results.map((r) => r.session?.tokens.accessToken)).size).toBe(1)
    expect(acquired).toBeGreaterThanOrEqual(1)
    expect(acquired).toBeLessThanOrEqual(2) // at most once per manager
  })
})

describe('refresh.background with a stateful store', () => {
  let bed: AppBed

  beforeAll(async () => {
    bed = await startAppBed({ session: { store: memoryStore(), refresh: { background: true } } })
  })
  afterAll(async () => {
    await bed?.close()
  })

  it('answers a due request at once with the valid token and refreshes behind it', async () => {
    const agent = await bed.login('grace')
    const cookie = agent.jar.header(bed.url)
    const start = await bed.auth.authenticate(bed.request(cookie))
    const old = start.session!.tokens.accessToken
    bed.provider.counters.reset()
    bed.clock.seconds = 240 // due, not expired
    const refreshed = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (bed.events.some((e) => e.name === 'refresh')) {
          clearInterval(timer)
          resolve()
        }
      }, 5)
    })
    const due = await bed.auth.authenticate(bed.request(cookie))
    expect(due.reason).toBe('refresh-deferred')
    expect(due.session!.tokens.accessToken).toBe(old)
    await refreshed
    expect(bed.provider.counters.token.refresh_token).toBe(1)
    const after = await bed.auth.authenticate(bed.request(cookie))
    expect(after.reason).toBe('valid')
    expect(after.session!.tokens.accessToken).not.toBe(old)
    expect(bed.provider.counters.token.refresh_token).toBe(1)
  })
})

describe('refresh options are validated at construction', () => {
  const base = {
    issuer: 'http://127.0.0.1:1',
    client: { id: 'app', secret: 'secret' },
    redirectUri: 'http://127.0.0.1:2/callback',
    secrets: [BED_SECRET],
  }
  it('refuses negative or non-finite TTLs, leases and back-offs', () => {
    for (const refresh of [
      { resultTtlSeconds: -1 },
      { resultTtlSeconds: Number.NaN },
      { lockLeaseMs: 0 },
      { lockWaitMs: -5 },
      { backoff: { initialMs: -1 } },
      { backoff: { maxMs: Number.POSITIVE_INFINITY } },
    ]) {
      let caught: unknown
      try {
        createOidcSession({ ...base, refresh })
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(TypeError)
      expect((caught as { code?: string }).code).toBe('ERR_INVALID_ARG_VALUE')
    }
    expect(() => createOidcSession({ ...base, refresh: { resultTtlSeconds: 0 } })).not.toThrow()
  })
})
