/**
 * The refresh scheduler: single-flight in process, an optional cross-process lock, a recent-result
 * cache for late requests that still carry a consumed refresh token, and a memory of failures
 * (back-off after transient ones, the verdict itself after final ones).
 *
 * @module
 */
import { base64url } from 'jose'
import { OidcSessionError, RefreshRejectedError } from '../errors.js'
import { BoundedMap } from '../lib/bounded-map.js'
import { refreshTokens } from '../oidc/refresh.js'
import type { ProviderContext } from '../oidc/provider.js'
import { tokenState, type TokenStateOptions } from '../tokens/lifecycle.js'
import type { TokenSet } from '../tokens/token-set.js'
import { runExclusive } from './cross-process.js'
import type { RefreshLock } from './lock.js'
import { memoryResultCache, type ResultCache } from './result-cache.js'
import { SingleFlight } from './single-flight.js'

/** Outcome of a refresh. */
export interface RefreshOutcome {
  tokens: TokenSet
  /**
   * `provider`: this call made the token request; `shared`: it joined a request in flight (same
   * grant, same process); `cache`: a recent refresh of the same token was reused (from this or, with
   * a shared cache, another process).
   */
  source: 'provider' | 'shared' | 'cache'
}

/** Options of {@link createRefreshScheduler}. */
export interface RefreshSchedulerOptions {
  context: ProviderContext
  /** Recent-result cache. Default: an in-process {@link memoryResultCache} of 10 000 entries. */
  cache?: ResultCache
  /** Cross-process lock; without it, refreshes are single-flight in this process only. */
  lock?: RefreshLock
  /** How long a result stays reusable by late requests, seconds. Default 60. */
  resultTtlSeconds?: number
  /** Lease of the cross-process lock, milliseconds (renewed by the lock while held). Default 5 000. */
  lockLeaseMs?: number
  /** Longest wait for another process's refresh, milliseconds. Default `timeoutMs + 2 000`. */
  lockWaitMs?: number
  /** First back-off after a transient failure, milliseconds; doubles per failure. Default 500. */
  backoffInitialMs?: number
  /** Longest back-off, milliseconds. Default 30 000. */
  backoffMaxMs?: number
  /** Most grants whose failure is remembered (oldest forgotten first). Default 10 000. */
  maxFailures?: number
  /**
   * When a cached result's access token counts as fresh (the same options as the sessions'). A
   * cached result that is no longer fresh is never handed out: the grant is refreshed again.
   */
  lifecycle?: TokenStateOptions
}

const encoder = new TextEncoder()
/** Most refreshes followed through the result cache in one call (a chain of late cookies). */
const MAX_CHAIN = 8

/**
 * SHA-256 of the refresh token and every request parameter: the single-flight, lock and cache key.
 * Parameters are part of the key so that a refresh with another `scope` or `resource` never hands
 * its tokens to a caller that asked for different ones.
 *
 * @param refreshToken the refresh token (hashed, never stored)
 * @param parameters extra token request parameters (`scope`, `resource`…)
 * @returns the key, base64url
 * @example
 * ```ts
 * const key = await refreshKey(tokens.refreshToken, { scope: 'openid' })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export async function refreshKey(
  refreshToken: string,
  parameters: Record<string, string> = {},
): Promise<string> {
  return hashOf(canonicalRequest(refreshToken, parameters))
}

/** The refresh token and the sorted parameters as one unambiguous string (in process only). */
function canonicalRequest(refreshToken: string, parameters: Record<string, string> = {}): string {
  return JSON.stringify([
    refreshToken,
    Object.entries(parameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ])
}

async function hashOf(canonical: string): Promise<string> {
  return base64url.encode(
    new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(canonical))),
  )
}

/** Per-call options of {@link RefreshScheduler.refresh}. */
export interface RefreshCallOptions {
  /**
   * Keeps the token call alive past the request that started it (Cloudflare Workers'
   * `ctx.waitUntil`, Vercel's `waitUntil`): the leader's flight is handed to it, so a cancelled
   * request does not lose the rotated refresh token its followers are waiting for.
   */
  waitUntil?: ((promise: Promise<unknown>) => void) | undefined
}

/** Refreshes token sets, once per grant however many callers ask at once. */
export interface RefreshScheduler {
  /**
   * Refresh `tokens` (or reuse a recent refresh of the same refresh token and parameters, as long
   * as its access token is still fresh).
   *
   * @throws {@link RefreshRejectedError} `ERR_REFRESH_INVALID_GRANT` (the session is over)
   * @throws `RefreshRefusedError` `ERR_REFRESH_REFUSED` / `ProviderResponseError`
   *   `ERR_PROVIDER_RESPONSE_INVALID` (final: answered again without a provider call for the
   *   result TTL)
   * @throws `ProviderUnavailableError` `ERR_PROVIDER_UNAVAILABLE` / `DiscoveryError` (transient;
   *   answered again without a provider call until the back-off ends)
   */
  refresh(
    tokens: TokenSet,
    parameters?: Record<string, string>,
    options?: RefreshCallOptions,
  ): Promise<RefreshOutcome>
  /**
   * Resolves once every refresh of `refreshToken` started in this process before the call has
   * settled (successfully or not); at once when none is in flight. Never rejects.
   */
  settled(refreshToken: string): Promise<void>
  /**
   * The result a recent refresh of `refreshToken` left in the result cache (in this or, with a
   * shared cache, another process), fresh or not; `undefined` when there is none or the cache
   * fails.
   */
  recent(refreshToken: string, parameters?: Record<string, string>): Promise<TokenSet | undefined>
  /** Forget the cached result of `refreshToken` (logout). Best effort; never rejects. */
  forget(refreshToken: string, parameters?: Record<string, string>): Promise<void>
}

interface Failure {
  /** Until when (milliseconds) the error is answered again without a provider call. */
  until: number
  /** Consecutive transient failures (the back-off doubles with each). */
  attempts: number
  error: OidcSessionError
}

type Found = { outcome: RefreshOutcome } | { newer: TokenSet }

/**
 * Create a {@link RefreshScheduler}.
 *
 * - Concurrent refreshes of one grant (same refresh token, same parameters) share one promise.
 * - With a `lock`, the provider call runs under {@link runExclusive}, once per grant per process.
 * - A successful result is kept `resultTtlSeconds` under the key of the consumed refresh token, so
 *   a request still carrying the pre-refresh cookie gets the new tokens instead of replaying it.
 *   A cached result is reused only while its access token is fresh; once it is not, the grant is
 *   refreshed again, single-flight, with the newest refresh token known (the cached one when the
 *   provider rotated, the same one when it does not rotate).
 * - A transient failure is answered again, without a provider call, during an exponential back-off
 *   per grant (`backoffInitialMs` doubling up to `backoffMaxMs`); a final one (`invalid_grant`,
 *   another refusal, an answer we refuse) is answered again for `resultTtlSeconds`.
 *
 * @param options see {@link RefreshSchedulerOptions}
 * @returns the scheduler
 * @example
 * ```ts
 * const scheduler = createRefreshScheduler({ context, resultTtlSeconds: 60 })
 * const { tokens } = await scheduler.refresh(session.tokens)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token rotation)
 */
export function createRefreshScheduler(options: RefreshSchedulerOptions): RefreshScheduler {
  const { context, lock } = options
  const now = context.options.now
  const cache = options.cache ?? memoryResultCache(10_000, now)
  const ttl = options.resultTtlSeconds ?? 60
  const leaseMs = options.lockLeaseMs ?? options.lock?.leaseMs ?? 5_000
  const waitMs = options.lockWaitMs ?? context.options.timeoutMs + 2_000
  const backoffInitialMs = options.backoffInitialMs ?? 500
  const backoffMaxMs = options.backoffMaxMs ?? 30_000
  const lifecycle = options.lifecycle ?? {}
  const flights = new SingleFlight<RefreshOutcome>()
  // Failures by key: the same error is answered until `until`; the entry itself stays (bounded)
  // so that consecutive transient failures keep doubling the back-off.
  const failures = new BoundedMap<string, Failure>(options.maxFailures ?? 10_000)
  // Refreshes in flight by refresh token, for `settled` (bounded: on Workers a flight whose
  // request ended never settles, and must not stay here for good).
  const pending = new BoundedMap<string, Set<Promise<unknown>>>(options.maxFailures ?? 10_000)

  const nowSeconds = () => Math.floor(now() / 1000)

  async function lookup(key: string, tokens: TokenSet): Promise<Found | undefined> {
    const cached = await cache.get(key)
    if (!cached) return undefined
    if (tokenState(cached, nowSeconds(), lifecycle) === 'fresh')
      return { outcome: { tokens: cached, source: 'cache' } }
    // A stale result: refresh again, with the newest refresh token known. A provider that does not
    // rotate left the same refresh token: that is a plain refresh of this grant.
    if (cached.refreshToken !== undefined && cached.refreshToken !== tokens.refreshToken)
      return { newer: cached }
    return undefined
  }

  async function fromProvider(
    key: string,
    tokens: TokenSet,
    parameters?: Record<string, string>,
  ): Promise<Found> {
    const next = await refreshTokens(context, tokens, nowSeconds(), parameters)
    await cache.set(key, next, ttl)
    return { outcome: { tokens: next, source: 'provider' } }
  }

  async function run(
    key: string,
    tokens: TokenSet,
    parameters: Record<string, string> | undefined,
    depth: number,
  ): Promise<RefreshOutcome> {
    const follow = async (found: Found): Promise<RefreshOutcome> => {
      if ('outcome' in found) return found.outcome
      if (depth >= MAX_CHAIN) throw new RefreshRejectedError('too many refreshes chained')
      const { tokens: next } = await refreshOnce(found.newer, parameters, depth + 1, undefined)
      return { tokens: next, source: 'cache' }
    }
    const found = await lookup(key, tokens)
    if (found) return follow(found)
    const failed = failures.get(key)
    if (failed && failed.until > now()) throw failed.error
    try {
      const result = lock
        ? await runExclusive<Found>({
            key,
            lock,
            leaseMs,
            waitMs,
            now,
            recheck: () => lookup(key, tokens),
            work: () => fromProvider(key, tokens, parameters),
          })
        : await fromProvider(key, tokens, parameters)
      failures.delete(key)
      return await follow(result)
    } catch (error) {
      if (error instanceof OidcSessionError && !error.transient) {
        failures.set(key, { until: now() + ttl * 1000, attempts: 0, error })
      } else if (error instanceof OidcSessionError) {
        const attempts = (failed?.attempts ?? 0) + 1
        const delay = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(attempts - 1, 30))
        failures.set(key, { until: now() + delay, attempts, error })
      }
      throw error
    }
  }

  function track(refreshToken: string, promise: Promise<unknown>): void {
    let set = pending.get(refreshToken)
    if (!set) pending.set(refreshToken, (set = new Set()))
    const tracked = set
    tracked.add(promise)
    const clear = () => {
      tracked.delete(promise)
      if (tracked.size === 0 && pending.get(refreshToken) === tracked) pending.delete(refreshToken)
    }
    promise.then(clear, clear)
  }

  async function refreshOnce(
    tokens: TokenSet,
    parameters: Record<string, string> | undefined,
    depth: number,
    waitUntil: RefreshCallOptions['waitUntil'],
  ): Promise<RefreshOutcome> {
    const refreshToken = tokens.refreshToken
    if (!refreshToken) throw new RefreshRejectedError('the session has no refresh token')
    // The in-process flight is keyed synchronously by the request itself (held only while the
    // refresh is in flight, like the closure that holds the tokens): followers join without
    // hashing. The leader hashes once for the result cache and the lock, which leave the map.
    const canonical = canonicalRequest(refreshToken, parameters)
    const joined = flights.get(canonical) !== undefined
    const promise = flights.run(canonical, async () =>
      run(await hashOf(canonical), tokens, parameters, depth),
    )
    if (!joined) {
      track(refreshToken, promise)
      waitUntil?.(promise.catch(() => undefined))
    }
    const outcome = await promise
    // Each caller gets its own copy: callers must not share one mutable token set.
    return {
      tokens: { ...outcome.tokens },
      source: joined && outcome.source === 'provider' ? 'shared' : outcome.source,
    }
  }

  return {
    refresh: (tokens, parameters, callOptions) =>
      refreshOnce(tokens, parameters, 0, callOptions?.waitUntil),

    async settled(refreshToken) {
      const set = pending.get(refreshToken)
      if (set) await Promise.allSettled([...set])
    },

    async recent(refreshToken, parameters) {
      try {
        return await cache.get(await refreshKey(refreshToken, parameters))
      } catch {
        return undefined
      }
    },

    async forget(refreshToken, parameters) {
      const key = await refreshKey(refreshToken, parameters)
      failures.delete(key)
      await cache.delete(key).catch(() => undefined)
    },
  }
}
