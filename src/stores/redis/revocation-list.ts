/**
 * The Redis back-channel logout pieces: the revocation list (cookie sessions ended by the provider)
 * and the `jti` replay cache, shared by every process.
 *
 * @module
 */
import { sha256 } from '#seal'
import { invalidArg } from '../../errors.js'
import type { ReplayCache } from '../../logout/replay-cache.js'
import type { RevocationList } from '../../logout/revocation-list.js'
import { toRedisClient, type RedisClientInput, type RedisClientOptions } from './client.js'

/** Options of {@link redisRevocationList} and {@link redisReplayCache}. */
export interface RedisRevocationOptions extends RedisClientOptions {
  /** Prefix of every key written. Default `oidc-session:logout:`. */
  keyPrefix?: string
}

const DEFAULT_PREFIX = 'oidc-session:logout:'

function prefixOf(value: unknown): string {
  const prefix = value ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string' || prefix === '')
    throw invalidArg('keyPrefix must be a non-empty string')
  return prefix
}

/** Fixed-size key part for a value of a given kind (sub/sid/jti values are not secrets, but unbounded). */
function id(kind: string, value: string): string | Promise<string> {
  return sha256(`${kind}\0${value}`)
}

// Keep the larger not-before: SET when absent or smaller, and always extend the TTL.
const ADD = `
local current = tonumber(redis.call('GET', KEYS[1]))
local value = tonumber(ARGV[1])
if current == nil or current < value then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1`

/**
 * A {@link RevocationList} in Redis, shared by every process that serves the same cookie sessions:
 * one key per `sid` or `sub` (`<prefix>rev:<kind>:<sha256>`) holding the latest `notBefore`, with
 * a TTL. Each key is written and read on its own (no multi-key command), so it works on Redis
 * Cluster.
 *
 * @param client an `ioredis` or `node-redis` client (or a {@link RedisClient})
 * @param options see {@link RedisRevocationOptions}
 * @returns a {@link RevocationList}
 * @throws TypeError `ERR_INVALID_ARG_VALUE` / `ERR_INVALID_ARG_TYPE` for invalid arguments; its
 *   methods throw `StoreUnavailableError` when Redis cannot be reached in time
 * @example
 * ```ts
 * const auth = createOidcSession({ ...options, logout: { revocationList: redisRevocationList(redis) } })
 * ```
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCActions
 */
export function redisRevocationList(
  client: RedisClientInput,
  options: RedisRevocationOptions = {},
): RevocationList {
  const redis = toRedisClient(client, options)
  const prefix = prefixOf(options.keyPrefix)
  const key = async (kind: 'sid' | 'sub' | 'session', value: string) =>
    `${prefix}rev:${kind}:${await id(kind, value)}`
  const read = async (pending: Promise<string>): Promise<number | undefined> => {
    const name = await pending
    const reply = await redis.command(name, ['GET', name])
    const value = reply === null || reply === undefined ? NaN : Number(reply)
    return Number.isFinite(value) ? value : undefined
  }
  return {
    async add(entry, ttlSeconds) {
      const name = await key(entry.kind, entry.value)
      const ttl = Math.max(1, Math.ceil(ttlSeconds))
      await redis.command(name, ['EVAL', ADD, 1, name, Math.floor(entry.notBefore), ttl])
    },
    async notBefore({ sub, sid, session }) {
      const [bySub, bySid, bySession] = await Promise.all([
        read(key('sub', sub)),
        sid === undefined ? undefined : read(key('sid', sid)),
        session === undefined ? undefined : read(key('session', session)),
      ])
      return {
        ...(bySub !== undefined ? { sub: bySub } : {}),
        ...(bySid !== undefined ? { sid: bySid } : {}),
        ...(bySession !== undefined ? { session: bySession } : {}),
      }
    },
  } satisfies RevocationList
}

/**
 * A {@link ReplayCache} in Redis (`SET <prefix>jti:<sha256> 1 NX EX ttl`): a logout token
 * accepted by one process is refused as a replay by every other.
 *
 * @param client an `ioredis` or `node-redis` client (or a {@link RedisClient})
 * @param options see {@link RedisRevocationOptions}
 * @returns a {@link ReplayCache}
 * @throws TypeError for invalid arguments; `claim` throws `StoreUnavailableError` when Redis
 *   cannot be reached in time
 * @example
 * ```ts
 * const auth = createOidcSession({ ...options, logout: { replayCache: redisReplayCache(redis) } })
 * ```
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#Validation
 */
export function redisReplayCache(
  client: RedisClientInput,
  options: RedisRevocationOptions = {},
): ReplayCache {
  const redis = toRedisClient(client, options)
  const prefix = prefixOf(options.keyPrefix)
  return {
    async claim(value, ttlSeconds) {
      const name = `${prefix}jti:${await id('jti', value)}`
      const reply = await redis.command(name, [
        'SET',
        name,
        '1',
        'EX',
        Math.max(1, Math.ceil(ttlSeconds)),
        'NX',
      ])
      return reply === 'OK'
    },
    async release(value) {
      const name = `${prefix}jti:${await id('jti', value)}`
      await redis.command(name, ['DEL', name])
    },
  } satisfies ReplayCache
}
