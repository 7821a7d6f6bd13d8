/**
 * The recent-result cache: the outcome of a refresh, keyed by a hash of the refresh token it
 * consumed, so a request still carrying the pre-refresh cookie gets the new tokens instead of
 * replaying a rotated refresh token.
 *
 * @module
 */
import { BoundedMap } from '../lib/bounded-map.js'
import type { TokenSet } from '../tokens/token-set.js'

/**
 * Stores recent refresh results. Keys are SHA-256 hashes (never a token); implementations that
 * leave the process must encrypt values (the Redis one does). TTLs are seconds.
 *
 * The key is secret material: only holders of the refresh token can compute it. An implementation
 * that leaves the process must not write it as is (the Redis one stores a hash of it and derives
 * its encryption key from it).
 *
 * - `get` answers the tokens stored under `key`, or `undefined`.
 * - `set` stores them for `ttlSeconds` (replacing any previous value).
 * - `delete` forgets `key` (logout drops the results of the grant it ends); idempotent.
 */
export interface ResultCache {
  /** The tokens stored under `key`, or `undefined`. */
  get(key: string): Promise<TokenSet | undefined>
  /** Store `tokens` under `key` for `ttlSeconds`, replacing any previous value. */
  set(key: string, tokens: TokenSet, ttlSeconds: number): Promise<void>
  /** Forget `key`; idempotent. */
  delete(key: string): Promise<void>
  /** `false` for a cache only this process sees. Default (absent): shared. */
  readonly shared?: boolean
}

/**
 * A bounded in-process {@link ResultCache}.
 *
 * @param maxEntries most entries kept (oldest dropped first). Default 10 000.
 * @param now time source in milliseconds
 * @returns the cache
 * @example
 * ```ts
 * createOidcSession({ ...options, refresh: { resultCache: memoryResultCache(50_000) } })
 * ```
 */
export function memoryResultCache(maxEntries = 10_000, now: () => number = Date.now): ResultCache {
  const entries = new BoundedMap<string, TokenSet>(maxEntries, now)
  return {
    shared: false,
    async get(key) {
      const tokens = entries.get(key)
      return tokens === undefined ? undefined : structuredClone(tokens)
    },
    async set(key, tokens, ttlSeconds) {
      entries.set(key, structuredClone(tokens), ttlSeconds * 1000)
    },
    async delete(key) {
      entries.delete(key)
    },
  }
}
