/**
 * The Redis recent-result cache: round trip over both client libraries, a Redis dump that reveals
 * no token and not the caller's key, garbage read as a miss, expiry through Redis, and outages.
 */
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StoreUnavailableError, type TokenSet } from 'oidc-session'
import { redisResultCache, toRedisClient, type RedisClient } from 'oidc-session/redis'
import { refreshKey } from '../../../src/refresh/scheduler.js'
import { startRedis, type TestRedis } from '../../fixtures/redis.js'

let redis: TestRedis
let io: Redis
const closers: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  redis = await startRedis()
  io = new Redis(redis.url)
  closers.push(async () => io.disconnect())
})

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined)
  await redis?.close()
})

const tokens = (n: number): TokenSet => ({
  accessToken: `access-token-secret-${n}`,
  tokenType: 'Bearer',
  expiresAt: 1_900_000_000 + n,
  // Every field survives the round trip (the refresh window needs issuedAt).
  issuedAt: 1_900_000_000 - 300 + n,
  refreshExpiresAt: 1_900_086_400 + n,
  refreshToken: `refresh-token-secret-${n}`,
  idToken: `id.token.secret-${n}`,
  scope: 'openid offline_access',
})

async function dump(): Promise<string> {
  const names = await io.keys('*')
  const values = await Promise.all(names.map((name) => io.get(name)))
  return JSON.stringify([names, values])
}

describe.each([
  ['ioredis', async (): Promise<RedisClient> => toRedisClient(io)],
  [
    'node-redis',
    async (): Promise<RedisClient> => {
      const client = createClient({ url: redis.url })
      client.on('error', () => undefined)
      await client.connect()
      closers.push(async () => client.destroy())
      return toRedisClient(client)
    },
  ],
])('redisResultCache over %s', (_name, connect) => {
  let client: RedisClient
  beforeAll(async () => {
    client = await connect()
  })

  it('returns what was set, to anyone holding the same key, from another client', async () => {
    const key = await refreshKey(`consumed-refresh-token-${_name}`)
    await redisResultCache(client).set(key, tokens(1), 60)
    const other = redisResultCache(toRedisClient(io))
    expect(await other.get(key)).toEqual(tokens(1))
    expect(await other.get(await refreshKey('another-refresh-token'))).toBeUndefined()
  })

  it('a Redis dump reveals no token and not the caller key; entries expire through Redis', async () => {
    const consumed = `the-consumed-refresh-token-${_name}`
    const key = await refreshKey(consumed)
    await redisResultCache(client, { keyPrefix: `dump-${_name}:` }).set(key, tokens(2), 30)
    const everything = await dump()
    for (const secret of [consumed, key, ...Object.values(tokens(2)).map(String)]) {
      if (secret === 'Bearer' || secret.startsWith('1900') || secret.startsWith('openid')) continue
      expect(everything).not.toContain(secret)
    }
    const [name] = await io.keys(`dump-${_name}:*`)
    expect(name).toMatch(new RegExp(`^dump-${_name}:\\{[A-Za-z0-9_-]{43}\\}:result$`))
    const ttl = await io.pttl(name!)
    expect(ttl).toBeGreaterThan(25_000)
    expect(ttl).toBeLessThanOrEqual(30_000)
    // A JWE whose header says dir/A256GCM: nothing readable.
    const value = (await io.get(name!))!
    expect(value.split('.')).toHaveLength(5)
    expect(JSON.parse(Buffer.from(value.split('.')[0]!, 'base64url').toString())).toEqual({
      alg: 'dir',
      enc: 'A256GCM',
    })
  })

  it('treats garbage, a foreign JWE and a wrong shape as a miss, never an exception', async () => {
    const cache = redisResultCache(client, { keyPrefix: `garbage-${_name}:` })
    const key = await refreshKey(`garbage-token-${_name}`)
    await cache.set(key, tokens(3), 60)
    const [name] = await io.keys(`garbage-${_name}:*`)
    const good = (await io.get(name!))!
    const parts = good.split('.')
    const flipped = [...parts]
    flipped[3] = `${parts[3]!.startsWith('A') ? 'B' : 'A'}${parts[3]!.slice(1)}`
    // Another entry's ciphertext moved under this key: decrypts under the wrong key → miss.
    const otherKey = await refreshKey(`other-${_name}`)
    await cache.set(otherKey, tokens(4), 60)
    const foreign = (await io.get((await io.keys(`garbage-${_name}:*`)).find((n) => n !== name)!))!
    for (const bad of ['', 'not a jwe', 'a.b.c.d.e', flipped.join('.'), foreign, '\u0000\u00ff']) {
      await io.set(name!, bad)
      expect(await cache.get(key)).toBeUndefined()
    }
    await io.del(name!)
    await io.hset(name!, 'wrong', 'type') // WRONGTYPE from GET is a store error, not garbage
    await expect(cache.get(key)).rejects.toBeInstanceOf(StoreUnavailableError)
    await io.del(name!)
    expect(await cache.get(key)).toBeUndefined()
  })

  it('does not write an entry for a TTL of zero', async () => {
    const cache = redisResultCache(client, { keyPrefix: `zero-${_name}:` })
    await cache.set(await refreshKey('zero'), tokens(5), 0)
    expect(await io.keys(`zero-${_name}:*`)).toEqual([])
  })
})

describe('redisResultCache when Redis is down', () => {
  it('get fails with the typed transient error; set reports to onError and does not throw', async () => {
    const down = await startRedis()
    const client = new Redis(down.url, { lazyConnect: true, maxRetriesPerRequest: 0 })
    client.on('error', () => undefined)
    await client.connect()
    closers.push(async () => client.disconnect())
    const errors: unknown[] = []
    const cache = redisResultCache(toRedisClient(client, { timeoutMs: 300 }), {
      onError: (error) => errors.push(error),
    })
    await down.close()
    const key = await refreshKey('outage')
    const error = await cache.get(key).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect((error as StoreUnavailableError).transient).toBe(true)
    await expect(cache.set(key, tokens(6), 60)).resolves.toBeUndefined()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(StoreUnavailableError)
    expect(String((errors[0] as Error).message)).not.toContain('secret')
  })
})

describe('redisResultCache: the last value read is opened once per process', () => {
  it('serves a repeated read from memory, but only for the very same value under the same key', async () => {
    const cache = redisResultCache(io, { keyPrefix: 'memo-test:' })
    const [a, b] = await Promise.all([refreshKey('memo-rt-a'), refreshKey('memo-rt-b')])
    await cache.set(a, tokens(1), 60)
    await cache.set(b, tokens(2), 60)
    const first = await cache.get(a)
    expect(first).toEqual(tokens(1))
    // Callers own what they get: changing it does not change the next read.
    first!.accessToken = 'changed'
    expect(await cache.get(a)).toEqual(tokens(1))
    // Another process replaced the value: the new one is read, not the remembered one.
    await cache.set(a, tokens(3), 60)
    expect(await cache.get(a)).toEqual(tokens(3))
    // The two stored values swapped: neither opens under the other's key (nor from memory).
    const names = await io.keys('memo-test:*:result')
    const values = await Promise.all(names.map((name) => io.get(name)))
    expect(names).toHaveLength(2)
    const [first0, second0] = names as [string, string]
    const [v0, v1] = values as [string, string]
    await io.set(first0, v1)
    await io.set(second0, v0)
    expect(await cache.get(a)).toBeUndefined()
    expect(await cache.get(b)).toBeUndefined()
  })
})
