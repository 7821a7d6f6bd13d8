/**
 * The recent-result cache on Redis, shared by every process, encrypted per entry with a key only
 * the holders of the consumed refresh token can derive.
 *
 * @module
 */
import { CompactEncrypt, compactDecrypt } from 'jose'
import { BoundedMap } from '../../lib/bounded-map.js'
import type { ResultCache } from '../../refresh/result-cache.js'
import type { TokenSet } from '../../tokens/token-set.js'
import { toRedisClient, type RedisClientInput, type RedisClientOptions } from './client.js'
import { redisKeyId, redisKeyName, refreshPrefix } from './lock.js'

/** Options of {@link redisResultCache}. */
export interface RedisResultCacheOptions extends RedisClientOptions {
  /** Prefix of the cache keys. Default `oidc-session:refresh:` (shared with `redisLock`). */
  keyPrefix?: string
  /**
   * Called when a `set` could not reach Redis. The error is not thrown: the refresh it records has
   * already succeeded and its tokens must reach the session. Default: ignore.
   */
  onError?: (error: unknown) => void
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const SALT = encoder.encode('oidc-session/redis-result-cache/v1')
const INFO = encoder.encode('A256GCM')

/** HKDF-SHA-256 of the caller's key (itself a SHA-256 of the refresh token) → 256-bit CEK. */
async function deriveEntryKey(key: string): Promise<Uint8Array> {
  const ikm = await crypto.subtle.importKey('raw', encoder.encode(key), 'HKDF', false, [
    'deriveBits',
  ])
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: SALT, info: INFO },
    ikm,
    256,
  )
  return new Uint8Array(bits)
}

const optionalString = (value: unknown) => value === undefined || typeof value === 'string'

/** A decrypted value is used only if it has the shape of a {@link TokenSet}. */
function asTokenSet(value: unknown): TokenSet | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  if (typeof v.accessToken !== 'string' || typeof v.tokenType !== 'string') return undefined
  if (v.expiresAt !== undefined && typeof v.expiresAt !== 'number') return undefined
  if (v.refreshExpiresAt !== undefined && typeof v.refreshExpiresAt !== 'number') return undefined
  if (v.issuedAt !== undefined && typeof v.issuedAt !== 'number') return undefined
  if (!optionalString(v.refreshToken) || !optionalString(v.idToken) || !optionalString(v.scope)) {
    return undefined
  }
  const tokens: TokenSet = { accessToken: v.accessToken, tokenType: v.tokenType }
  if (typeof v.expiresAt === 'number') tokens.expiresAt = v.expiresAt
  if (typeof v.refreshToken === 'string') tokens.refreshToken = v.refreshToken
  if (typeof v.refreshExpiresAt === 'number') tokens.refreshExpiresAt = v.refreshExpiresAt
  if (typeof v.issuedAt === 'number') tokens.issuedAt = v.issuedAt
  if (typeof v.idToken === 'string') tokens.idToken = v.idToken
  if (typeof v.scope === 'string') tokens.scope = v.scope
  return tokens
}

/**
 * Create a {@link ResultCache} on Redis, so a request that still carries a consumed refresh token
 * gets the new tokens whichever process serves it (cookie sessions over many processes included).
 *
 * Nothing in Redis reveals a token, and no shared secret is needed: the scheduler's cache key `k`
 * is a SHA-256 of the refresh token (and parameters), which only holders of that refresh token
 * can compute. The entry is stored under `SHA-256("oidc-session/redis-key\0" ‖ k)` and its value is
 * a JWE (`dir`, `A256GCM`) under `HKDF-SHA-256(k)`; recovering `k` from the key name would take a
 * SHA-256 preimage. Entries expire through Redis (`PX`). A value that does not decrypt or parse is
 * a miss, never an exception.
 *
 * @param clientInput the application's connected `ioredis` / `node-redis` client (or Cluster), or a
 *   {@link RedisClient}; oidc-session never closes it
 * @param options see {@link RedisResultCacheOptions}
 * @returns the cache
 * @throws TypeError `ERR_INVALID_ARG_VALUE` for a bad prefix, `ERR_INVALID_ARG_TYPE` for something
 *   that is not a Redis client; `get` throws
 *   `ERR_STORE_UNAVAILABLE` (`StoreUnavailableError`, transient) when Redis is unreachable —
 *   a miss then could replay a consumed refresh token; `set` never throws (see `onError`)
 * @example
 * ```ts
 * const redis = new Redis(process.env.REDIS_URL!)
 * createOidcSession({ …, refresh: { lock: redisLock(redis), resultCache: redisResultCache(redis) } })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token rotation)
 * @see https://www.rfc-editor.org/rfc/rfc5869 (HKDF)
 */
export function redisResultCache(
  clientInput: RedisClientInput,
  options: RedisResultCacheOptions = {},
): ResultCache {
  const client = toRedisClient(clientInput, options)
  const prefix = refreshPrefix(options.keyPrefix)
  const onError = options.onError ?? (() => undefined)
  const nameOf = async (key: string) => redisKeyName(prefix, await redisKeyId(key), 'result')
  // Per key: its CEK (one HKDF), and the last value read and what it opened to. After a refresh,
  // every late request of a burst reads the same value: one decryption per process, not one per
  // request. A hit needs the very same stored string under the same key (AES-GCM authenticated it).
  const keys = new BoundedMap<string, Promise<Uint8Array>>(256)
  const entryKey = (key: string) => {
    let found = keys.get(key)
    if (!found) {
      found = deriveEntryKey(key)
      keys.set(key, found)
      found.catch(() => keys.delete(key))
    }
    return found
  }
  const opened = new BoundedMap<string, { stored: string; tokens: TokenSet }>(256)

  return {
    async get(key) {
      const name = await nameOf(key)
      const stored = await client.command(name, ['GET', name])
      if (typeof stored !== 'string' || stored === '') return undefined
      const seen = opened.get(key)
      if (seen?.stored === stored) return { ...seen.tokens }
      try {
        const { plaintext } = await compactDecrypt(stored, await entryKey(key), {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
        })
        const tokens = asTokenSet(JSON.parse(decoder.decode(plaintext)))
        if (tokens) opened.set(key, { stored, tokens: { ...tokens } })
        return tokens
      } catch {
        return undefined
      }
    },

    async set(key, tokens, ttlSeconds) {
      const ttlMs = Math.floor(ttlSeconds * 1000)
      if (!(ttlMs > 0)) return
      const name = await nameOf(key)
      try {
        const jwe = await new CompactEncrypt(encoder.encode(JSON.stringify(tokens)))
          .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
          .encrypt(await entryKey(key))
        await client.command(name, ['SET', name, jwe, 'PX', ttlMs])
      } catch (error) {
        onError(error)
      }
    },

    async delete(key) {
      const name = await nameOf(key)
      try {
        await client.command(name, ['DEL', name])
      } catch (error) {
        onError(error)
      }
    },
  } satisfies ResultCache
}
