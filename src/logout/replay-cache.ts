/**
 * The replay cache of back-channel logout: remembers the `jti` of every logout token accepted, so
 * the same token cannot be played twice.
 *
 * @module
 */

import { BoundedMap } from '../lib/bounded-map.js'

/**
 * Remembers keys for a while. Keys are hashes or opaque identifiers (never a token); TTLs are
 * seconds.
 *
 * - `claim(key, ttlSeconds)` records `key` and answers `true` when it was not recorded yet, `false`
 *   when it was (a replay). It must be atomic across every process that shares the cache (the
 *   Redis one is `SET NX`).
 * - `release(key)` forgets a claim whose work failed, so the provider's retry of the same logout
 *   token is accepted (idempotent).
 */
export interface ReplayCache {
  /** Record `key` for `ttlSeconds`: `true` when it was new, `false` for a replay (atomic). */
  claim(key: string, ttlSeconds: number): Promise<boolean>
  /** Forget a claim whose work failed, so a retry is accepted; idempotent. */
  release(key: string): Promise<void>
}

/**
 * A bounded in-process {@link ReplayCache}. Past `maxEntries` the oldest keys are forgotten first;
 * a logout token is short-lived (its `exp` is checked too), so the entries that matter are recent.
 * Processes do not share it: use `redisReplayCache` (`oidc-session/redis`) when several processes
 * receive back-channel logouts.
 *
 * @param maxEntries most keys kept. Default 10 000.
 * @param now time source in milliseconds. Default `Date.now`.
 * @returns a {@link ReplayCache}
 * @example
 * ```ts
 * const auth = createOidcSession({ ...options, logout: { replayCache: memoryReplayCache() } })
 * ```
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#Validation (step 10, `jti`)
 */
export function memoryReplayCache(maxEntries = 10_000, now: () => number = Date.now): ReplayCache {
  const entries = new BoundedMap<string, true>(maxEntries, now)
  return {
    async claim(key, ttlSeconds) {
      if (entries.has(key)) return false
      entries.set(key, true, ttlSeconds * 1000)
      return true
    },
    async release(key) {
      entries.delete(key)
    },
  }
}
