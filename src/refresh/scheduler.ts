/**
 * The refresh scheduler: single-flight in process, an optional cross-process lock, a recent-result
 * cache for late requests that still carry a consumed refresh token, and a memory of failures
 * (back-off after transient ones, the verdict itself after final ones).
 *
 * @module
 */
import { sha256 } from '#seal'
import { OidcSessionError, RefreshRejectedError } from '../errors.js'
import { BoundedMap } from '../lib/bounded-map.js'
import type { DpopKey } from '../oidc/dpop.js'
import { refreshTokens } from '../oidc/refresh.js'
import type { ProviderContext } from '../oidc/provider.js'
import { tokenState, type TokenStateOptions } from '../tokens/lifecycle.js'
import type { TokenSet } from '../tokens/token-set.js'
import { runExclusive } from './cross-process.js'
import type { RefreshLock } from './lock.js'
import { memoryLock } from './memory-lock.js'
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
  /**
   * Cross-process lock; without it, refreshes are single-flight in this process only (an in-process
   * lock still serializes the refreshes of one grant for different resources).
   */
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

const hasParameters = (parameters: Record<string, string> | undefined) =>
  parameters !== undefined && Object.keys(parameters).length > 0

/** What a refresh tells the other requests of its grant: the refresh token to continue from. */
function successorOf(tokens: TokenSet): Pick<TokenSet, 'refreshToken' | 'idToken'> {
  return {
    ...(tokens.refreshToken !== undefined ? { refreshToken: tokens.refreshToken } : {}),
    ...(tokens.idToken !== undefined ? { idToken: tokens.idToken } : {}),
  }
}

/** base64url SHA-256 through the `#seal` backend: synchronous on Node (no thread-pool round trip). */
function hashOf(canonical: string): string | Promise<string> {
  return sha256(canonical)
}

/** Per-call options of {@link RefreshScheduler.refresh} (not part of the request's key). */
export interface RefreshCallOptions {
  /**
   * Keeps the token call alive past the request that started it (Cloudflare Workers'
   * `ctx.waitUntil`, Vercel's `waitUntil`): the leader's flight is handed to it, so a cancelled
   * request does not lose the rotated refresh token its followers are waiting for.
   */
  waitUntil?: ((promise: Promise<unknown>) => void) | undefined
  /** The session's DPoP key (RFC 9449): the token request carries a proof signed with it. */
  dpop?: DpopKey | undefined
  /**
   * An access token a resource server refused (`invalid_token`): a recent result carrying it is
   * not reused (a forced refresh).
   */
  reject?: string | undefined
}

/** Refreshes token sets, once per grant however many callers ask at once. */
export interface RefreshScheduler {
  /**
   * Refresh `tokens` (or reuse a recent refresh of the same refresh token and parameters, as long
   * as its access token is still fresh).
   *
   * Refreshes of one grant with different parameters (the session's own token and tokens for other
   * resources, RFC 8707) never present the same refresh token twice: they take turns under the
   * grant's lock, and one that finds the refresh token consumed by another (rotated) continues
   * with its successor.
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
 * - The provider call runs under {@link runExclusive} with the grant's lock (the `lock`, else an
 *   in-process one), keyed by the refresh token alone: refreshes for different resources take
 *   turns, and each re-checks the result cache first.
 * - A refresh with parameters (a resource) that rotates the refresh token also leaves a successor
 *   record under the grant's own key (the new refresh token, with no usable access token), so
 *   that the session's own refresh, another resource's, a late cookie and logout all continue from
 *   the new refresh token instead of replaying the consumed one.
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
  const { context } = options
  const now = context.options.now
  const lock = options.lock ?? memoryLock({ now })
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

  /**
   * A usable result for `key`, or the newest refresh token of the grant to continue from: a stale
   * result of the same request, or (for a request with parameters) the grant's own record, left by
   * the session's own refresh or by a successor record.
   */
  async function lookup(
    key: string,
    grant: string,
    tokens: TokenSet,
    reject: string | undefined,
  ): Promise<Found | undefined> {
    const cached = await cache.get(key)
    if (cached) {
      if (cached.accessToken !== reject && tokenState(cached, nowSeconds(), lifecycle) === 'fresh')
        return { outcome: { tokens: cached, source: 'cache' } }
      // A stale result: refresh again, with the newest refresh token known. A provider that does
      // not rotate left the same refresh token: that is a plain refresh of this grant.
      if (cached.refreshToken !== undefined && cached.refreshToken !== tokens.refreshToken)
        return { newer: cached }
    }
    if (grant === key) return undefined
    const record = await cache.get(grant)
    if (record?.refreshToken !== undefined && record.refreshToken !== tokens.refreshToken)
      return { newer: { ...tokens, ...successorOf(record) } }
    return undefined
  }

  async function fromProvider(
    key: string,
    grant: string,
    tokens: TokenSet,
    parameters: Record<string, string> | undefined,
    dpop: DpopKey | undefined,
  ): Promise<Found> {
    const next = await refreshTokens(context, tokens, nowSeconds(), parameters, dpop)
    await cache.set(key, next, ttl)
    if (
      grant !== key &&
      next.refreshToken !== undefined &&
      next.refreshToken !== tokens.refreshToken
    ) {
      await Promise.all([
        // The successor record: every other request of the grant continues from the new token.
        cache.set(grant, { ...successorOf(next), accessToken: '', tokenType: next.tokenType }, ttl),
        // This resource's token came with the new refresh token: a session brought forward to it
        // by another request finds the token here instead of asking the provider again.
        refreshKey(next.refreshToken, parameters).then((successor) =>
          cache.set(successor, next, ttl),
        ),
      ])
    }
    return { outcome: { tokens: next, source: 'provider' } }
  }

  async function run(
    keys: { key: string; grant: string },
    tokens: TokenSet,
    parameters: Record<string, string> | undefined,
    call: RefreshCallOptions,
    depth: number,
  ): Promise<RefreshOutcome> {
    const { key, grant } = keys
    const { dpop, reject } = call
    const follow = async (found: Found): Promise<RefreshOutcome> => {
      if ('outcome' in found) return found.outcome
      if (depth >= MAX_CHAIN) throw new RefreshRejectedError('too many refreshes chained')
      // The chained flight is part of this one (already handed to `waitUntil`).
      const { tokens: next } = await refreshOnce(
        found.newer,
        parameters,
        { ...call, waitUntil: undefined },
        depth + 1,
      )
      return { tokens: next, source: 'cache' }
    }
    const found = await lookup(key, grant, tokens, reject)
    if (found) return follow(found)
    const failed = failures.get(key)
    if (failed && failed.until > now()) throw failed.error
    try {
      // One lock per grant (the refresh token alone): refreshes for different resources take turns.
      const result = await runExclusive<Found>({
        key: grant,
        lock,
        leaseMs,
        waitMs,
        now,
        recheck: () => lookup(key, grant, tokens, reject),
        work: () => fromProvider(key, grant, tokens, parameters, dpop),
      })
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
    call: RefreshCallOptions,
    depth: number,
  ): Promise<RefreshOutcome> {
    const refreshToken = tokens.refreshToken
    if (!refreshToken) throw new RefreshRejectedError('the session has no refresh token')
    // The in-process flight is keyed synchronously by the request itself (held only while the
    // refresh is in flight, like the closure that holds the tokens): followers join without
    // hashing. The leader hashes once for the result cache and the lock, which leave the map.
    const canonical = canonicalRequest(refreshToken, parameters)
    const joined = flights.get(canonical) !== undefined
    const promise = flights.run(canonical, async () => {
      const key = await hashOf(canonical)
      const grant = hasParameters(parameters) ? await hashOf(canonicalRequest(refreshToken)) : key
      return run({ key, grant }, tokens, parameters, call, depth)
    })
    if (!joined) {
      track(refreshToken, promise)
      call.waitUntil?.(promise.catch(() => undefined))
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
      refreshOnce(tokens, parameters, callOptions ?? {}, 0),

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
