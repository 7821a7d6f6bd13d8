/**
 * The recent-result cache: the outcome of a refresh, keyed by a hash of the refresh token it
 * consumed, so a request still carrying the pre-refresh cookie gets the new tokens instead of
 * replaying a rotated refresh token.
 *
 * @module
 */
import type { TokenSet } from '../tokens/token-set.js'

/**
 * Stores recent refresh results. Keys are SHA-256 hashes (never a token); implementations that
 * leave the process must encrypt values (the Redis one does). TTLs are seconds.
 *
 * The key is secret material: only holders of the refresh token can compute it. An implementation
 * that leaves the process must not write it as is (the Redis one stores a hash of it and derives
 * its encryption key from it).
 */
export interface ResultCache {
  get(key: string): Promise<TokenSet | undefined>
  set(key: string, tokens: TokenSet, ttlSeconds: number): Promise<void>
}

/**
 * A bounded in-process {@link ResultCache}.
 *
 * @param maxEntries most entries kept (oldest dropped first). Default 10 000.
 * @param now time source in milliseconds
 */
export function memoryResultCache(maxEntries = 10_000, now: () => number = Date.now): ResultCache {
  const entries = new Map<string, { tokens: TokenSet; until: number }>()
  return {
    async get(key) {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (entry.until <= now()) {
        entries.delete(key)
        return undefined
      }
      return structuredClone(entry.tokens)
    },
    async set(key, tokens, ttlSeconds) {
      entries.delete(key)
      entries.set(key, { tokens: structuredClone(tokens), until: now() + ttlSeconds * 1000 })
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next()
        if (oldest.done) break
        entries.delete(oldest.value)
      }
    },
  }
}
