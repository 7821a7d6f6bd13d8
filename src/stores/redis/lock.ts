/**
 * The Redis {@link RefreshLock}: `SET NX PX` with a random token, compare-and-delete release, lease
 * renewal while held, and waiters woken through pub/sub.
 *
 * @module
 */
import { sha256 } from '#seal'
import { invalidArg } from '../../errors.js'
import { randomId } from '../../lib/random.js'
import type { LockLease, RefreshLock } from '../../refresh/lock.js'
import { toRedisClient, type RedisClientInput, type RedisClientOptions } from './client.js'

/** Default prefix of every key the refresh lock and the result cache write. @internal */
export const DEFAULT_REFRESH_PREFIX = 'oidc-session:refresh:'

/**
 * The Redis name of a refresh key. The scheduler's key (a SHA-256 of the refresh token and its
 * parameters) is the secret the result cache derives its encryption key from, so it is hashed once
 * more, with domain separation, before it becomes a key name or a pub/sub message.
 *
 * @param key the caller's key
 * @returns base64url SHA-256, the content of the `{…}` hash tag (synchronous on Node)
 * @internal
 */
export function redisKeyId(key: string): string | Promise<string> {
  return sha256(`oidc-session/redis-key\0${key}`)
}

/**
 * `${prefix}{${id}}:${kind}`: the hash tag sends the lock and the cached result of one grant to the
 * same Cluster slot.
 * @internal
 */
export function redisKeyName(prefix: string, id: string, kind: 'lock' | 'result'): string {
  return `${prefix}{${id}}:${kind}`
}

/** Options of {@link redisLock}. */
export interface RedisLockOptions extends RedisClientOptions {
  /**
   * Lease used when the caller names none (see `RefreshLock.leaseMs`), milliseconds. A holder
   * renews its lease every `lease / 3` while it runs; a crashed holder is replaced after it.
   * Default 10 000.
   */
  leaseMs?: number
  /**
   * Prefix of the lock keys and of the release channel (no `{` or `}`). Default
   * `oidc-session:refresh:`; keep it equal to the result cache's.
   */
  keyPrefix?: string
}

/**
 * Validate a refresh key prefix (shared with the result cache).
 * @internal
 */
export function refreshPrefix(value: unknown): string {
  const prefix = value ?? DEFAULT_REFRESH_PREFIX
  if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix)) {
    throw invalidArg('keyPrefix must be a non-empty string without "{" or "}"')
  }
  return prefix
}

/** Deletes the key only if it still holds our token, then tells the waiters. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
  redis.call('publish', ARGV[2], ARGV[3])
  return 1
end
return 0`

/** Extends the lease only if the key still holds our token. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0`

/** Extra wait after a holder's lease should have run out, so the expiry has happened. */
const EXPIRY_MARGIN_MS = 5

/**
 * Create a {@link RefreshLock} on Redis (standalone or Cluster), for cross-process single-flight
 * refresh.
 *
 * - `acquire`: `SET <prefix>{<hash>}:lock <random token> NX PX <lease>`; while held, the lease is
 *   renewed every `lease / 3` (`PEXPIRE` only while the value is still our token).
 * - release: a Lua compare-and-delete (an expired holder never deletes its successor's lock) that
 *   also `PUBLISH`es the key's hash on one shared channel, `<prefix>released`.
 * - `waitForRelease`: subscribes (once per lock) to that channel, then reads the lock's `PTTL`;
 *   it resolves on the release message, when the holder's lease runs out (a crashed holder does not
 *   publish), or after the timeout — never by polling.
 *
 * Key names are hashes of the caller's key (never a token), with a `{…}` hash tag so the lock and
 * the cached result of one grant live in the same Cluster slot.
 *
 * @param clientInput the application's connected `ioredis` / `node-redis` client (or Cluster), or a
 *   {@link RedisClient}; oidc-session never closes it
 * @param options see {@link RedisLockOptions}
 * @returns the lock
 * @throws TypeError `ERR_INVALID_ARG_VALUE` for a lease under 30 ms or a bad prefix,
 *   `ERR_INVALID_ARG_TYPE` for something that is not a Redis client; the lock's
 *   methods throw `ERR_STORE_UNAVAILABLE` (`StoreUnavailableError`) when Redis is unreachable
 * @example
 * ```ts
 * import Redis from 'ioredis'
 * import { redisLock, redisResultCache } from 'oidc-session/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL!)
 * const auth = createOidcSession({
 *   …,
 *   refresh: { lock: redisLock(redis), resultCache: redisResultCache(redis) },
 * })
 * ```
 * @see https://redis.io/docs/latest/develop/use/patterns/distributed-locks/
 */
export function redisLock(
  clientInput: RedisClientInput,
  options: RedisLockOptions = {},
): RefreshLock {
  const client = toRedisClient(clientInput, options)
  const defaultLease = options.leaseMs ?? 10_000
  if (!Number.isFinite(defaultLease) || defaultLease < 30) {
    throw invalidArg('leaseMs must be a number of milliseconds >= 30')
  }
  const prefix = refreshPrefix(options.keyPrefix)
  const channel = `${prefix}released`

  // One subscription per lock, shared by every waiter; messages carry the key's hash.
  const waiters = new Map<string, Set<() => void>>()
  let subscribed: Promise<unknown> | undefined
  const subscribe = () => {
    subscribed ??= client
      .subscribe(channel, (id) => {
        const set = waiters.get(id)
        if (!set) return
        waiters.delete(id)
        for (const wake of set) wake()
      })
      .catch((error: unknown) => {
        subscribed = undefined
        throw error
      })
    return subscribed
  }

  return {
    leaseMs: defaultLease,

    async acquire(key, leaseMs = defaultLease) {
      const lease = Math.max(30, Math.ceil(leaseMs))
      const id = await redisKeyId(key)
      const name = redisKeyName(prefix, id, 'lock')
      const token = randomId(18)
      const reply = await client.command(name, ['SET', name, token, 'NX', 'PX', lease])
      if (reply !== 'OK') return null

      let held = true
      const timer = setInterval(
        () => {
          client.command(name, ['EVAL', RENEW, 1, name, token, lease]).then(
            (renewed) => {
              // Lost (expired and taken, or deleted): stop renewing someone else's lock.
              if (Number(renewed) !== 1) stop()
            },
            // Transient: try again on the next tick; the lease covers two more attempts.
            () => undefined,
          )
        },
        Math.max(10, Math.floor(lease / 3)),
      )
      timer.unref()
      const stop = () => {
        held = false
        clearInterval(timer)
      }
      const handle: LockLease = {
        async release() {
          if (!held) return
          stop()
          await client.command(name, ['EVAL', RELEASE, 1, name, token, channel, id])
        },
      }
      return handle
    },

    async waitForRelease(key, timeoutMs) {
      const id = await redisKeyId(key)
      const name = redisKeyName(prefix, id, 'lock')
      let wake: (() => void) | undefined
      const woken = new Promise<void>((resolve) => {
        wake = resolve
      })
      const done = wake as () => void
      let set = waiters.get(id)
      if (!set) {
        set = new Set()
        waiters.set(id, set)
      }
      set.add(done)
      const forget = () => {
        const current = waiters.get(id)
        current?.delete(done)
        if (current?.size === 0) waiters.delete(id)
      }
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        // Subscribe before looking, so a release between the two is not missed. Without a
        // subscription (its connection not up yet), the wait is bounded by the holder's lease.
        await subscribe().catch(() => undefined)
        const ttl = Number(await client.command(name, ['PTTL', name]))
        if (ttl === -2) return // not held (any more)
        const until = ttl > 0 ? Math.min(timeoutMs, ttl + EXPIRY_MARGIN_MS) : timeoutMs
        timer = setTimeout(done, Math.max(0, until))
        await woken
      } finally {
        clearTimeout(timer)
        forget()
      }
    },
  } satisfies RefreshLock
}
