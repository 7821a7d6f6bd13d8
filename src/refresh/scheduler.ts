/**
 * The refresh scheduler: single-flight in process, an optional cross-process lock, a recent-result
 * cache for late requests that still carry a consumed refresh token, and back-off after transient
 * failures.
 *
 * @module
 */
import { base64url } from 'jose'
import { OidcSessionError, RefreshRejectedError } from '../errors.js'
import { refreshTokens } from '../oidc/refresh.js'
import type { ProviderContext } from '../oidc/provider.js'
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
}

const encoder = new TextEncoder()

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

/** Refreshes token sets, once per grant however many callers ask at once. */
export interface RefreshScheduler {
  /**
   * Refresh `tokens` (or reuse a recent refresh of the same refresh token and parameters).
   *
   * @throws {@link RefreshRejectedError} `ERR_REFRESH_INVALID_GRANT` (the session is over)
   * @throws `ProviderUnavailableError` `ERR_PROVIDER_UNAVAILABLE` / `DiscoveryError` (transient;
   *   answered again without a provider call until the back-off ends)
   * @throws `ProviderResponseError` `ERR_PROVIDER_RESPONSE_INVALID` (an answer we refuse)
   */
  refresh(tokens: TokenSet, parameters?: Record<string, string>): Promise<RefreshOutcome>
}

interface Failure {
  until: number
  attempts: number
  error: OidcSessionError
}

/**
 * Create a {@link RefreshScheduler}.
 *
 * - Concurrent refreshes of one grant (same refresh token, same parameters) share one promise.
 * - With a `lock`, the provider call runs under {@link runExclusive}, once per grant per process.
 * - A successful result is kept `resultTtlSeconds` under the key of the consumed refresh token, so
 *   a request still carrying the pre-refresh cookie gets the new tokens instead of replaying it.
 * - A transient failure is answered again, without a provider call, during an exponential back-off
 *   per grant (`backoffInitialMs` doubling up to `backoffMaxMs`); an `invalid_grant` is remembered
 *   as long as a result would be (a rejected refresh token never becomes valid again).
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
  const now = context.config.now
  const cache = options.cache ?? memoryResultCache(10_000, now)
  const ttl = options.resultTtlSeconds ?? 60
  const leaseMs = options.lockLeaseMs ?? options.lock?.leaseMs ?? 5_000
  const waitMs = options.lockWaitMs ?? context.config.timeoutMs + 2_000
  const backoffInitialMs = options.backoffInitialMs ?? 500
  const backoffMaxMs = options.backoffMaxMs ?? 30_000
  const maxFailures = options.maxFailures ?? 10_000
  const flights = new SingleFlight<RefreshOutcome>()
  // Failures by key: the same error is answered until `until` (bounded, oldest dropped first).
  const failures = new Map<string, Failure>()

  const remember = (key: string, failure: Failure) => {
    failures.delete(key)
    failures.set(key, failure)
    while (failures.size > maxFailures) {
      const oldest = failures.keys().next()
      if (oldest.done) break
      failures.delete(oldest.value)
    }
  }

  async function fromCache(key: string): Promise<RefreshOutcome | undefined> {
    const cached = await cache.get(key)
    return cached ? { tokens: cached, source: 'cache' } : undefined
  }

  async function fromProvider(
    key: string,
    tokens: TokenSet,
    parameters?: Record<string, string>,
  ): Promise<RefreshOutcome> {
    const next = await refreshTokens(context, tokens, Math.floor(now() / 1000), parameters)
    await cache.set(key, next, ttl)
    return { tokens: next, source: 'provider' }
  }

  async function run(
    key: string,
    tokens: TokenSet,
    parameters?: Record<string, string>,
  ): Promise<RefreshOutcome> {
    const cached = await fromCache(key)
    if (cached) return cached
    const failed = failures.get(key)
    if (failed && failed.until > now()) throw failed.error
    try {
      const outcome = lock
        ? await runExclusive({
            key,
            lock,
            leaseMs,
            waitMs,
            now,
            recheck: () => fromCache(key),
            work: () => fromProvider(key, tokens, parameters),
          })
        : await fromProvider(key, tokens, parameters)
      failures.delete(key)
      return outcome
    } catch (error) {
      if (error instanceof RefreshRejectedError) {
        remember(key, { until: now() + ttl * 1000, attempts: 0, error })
      } else if (error instanceof OidcSessionError && error.transient) {
        const attempts = (failed?.attempts ?? 0) + 1
        const delay = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(attempts - 1, 30))
        remember(key, { until: now() + delay, attempts, error })
      }
      throw error
    }
  }

  return {
    async refresh(tokens, parameters) {
      if (!tokens.refreshToken) throw new RefreshRejectedError('the session has no refresh token')
      // The in-process flight is keyed synchronously by the request itself (held only while the
      // refresh is in flight, like the closure that holds the tokens): followers join without
      // hashing. The leader hashes once for the result cache and the lock, which leave the map.
      const canonical = canonicalRequest(tokens.refreshToken, parameters)
      const joined = flights.get(canonical) !== undefined
      const outcome = await flights.run(canonical, async () =>
        run(await hashOf(canonical), tokens, parameters),
      )
      // Each caller gets its own copy: callers must not share one mutable token set.
      return {
        tokens: { ...outcome.tokens },
        source: joined && outcome.source === 'provider' ? 'shared' : outcome.source,
      }
    },
  }
}
