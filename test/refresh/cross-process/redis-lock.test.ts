/**
 * The Redis refresh lock against a real redis-server, through both client libraries: mutual
 * exclusion, compare-and-delete, lease renewal, waiters woken by the release (not by their
 * timeout), a crashed holder replaced after its lease, and key names that are hashes with a hash tag.
 */
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StoreUnavailableError } from 'oidc-session'
import { redisLock, toRedisClient, type RedisClient } from 'oidc-session/redis'
import { startRedis, type TestRedis } from '../../fixtures/redis.js'

let redis: TestRedis
const closers: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  redis = await startRedis()
})

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined)
  await redis?.close()
})

async function ioredisClient(): Promise<RedisClient> {
  const io = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await io.connect()
  closers.push(async () => io.disconnect())
  return toRedisClient(io)
}

async function nodeRedisClient(): Promise<RedisClient> {
  const client = createClient({ url: redis.url })
  client.on('error', () => undefined)
  await client.connect()
  closers.push(async () => client.destroy())
  return toRedisClient(client)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let seq = 0
const freshKey = () => `test-key-${process.pid}-${++seq}`

describe.each([
  ['ioredis', ioredisClient],
  ['node-redis', nodeRedisClient],
])('redisLock over %s', (_name, connect) => {
  let a: RedisClient
  let b: RedisClient

  beforeAll(async () => {
    // Two connections: two "processes" sharing one Redis.
    a = await connect()
    b = await connect()
  })

  it('lets exactly one of many concurrent acquirers in, across connections', async () => {
    const lockA = redisLock(a)
    const lockB = redisLock(b)
    const key = freshKey()
    const leases = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? lockA : lockB).acquire(key, 5000)),
    )
    const holders = leases.filter((lease) => lease !== null)
    expect(holders).toHaveLength(1)
    await holders[0]!.release()
    const next = await lockB.acquire(key, 5000)
    expect(next).not.toBeNull()
    await next!.release()
  })

  it('stores hashes under a {hash tag}, never the caller key, and a random token', async () => {
    const key = 'caller-key-that-must-not-appear'
    const lease = await redisLock(a, { keyPrefix: 'lt:' }).acquire(key, 5000)
    expect(lease).not.toBeNull()
    const names = (await a.command(undefined, ['KEYS', 'lt:*'])) as string[]
    expect(names).toHaveLength(1)
    expect(names[0]).toMatch(/^lt:\{[A-Za-z0-9_-]{43}\}:lock$/)
    expect(names[0]).not.toContain(key)
    const value = (await a.command(names[0], ['GET', names[0]!])) as string
    expect(value).toMatch(/^[A-Za-z0-9_-]{24}$/)
    await lease!.release()
    expect(await a.command(undefined, ['KEYS', 'lt:*'])).toEqual([])
  })

  it('compare-and-delete: a holder whose lease ended cannot delete the next holder’s lock', async () => {
    const lock = redisLock(a, { keyPrefix: 'cad:' })
    const key = freshKey()
    const first = await lock.acquire(key, 5000)
    expect(first).not.toBeNull()
    // The first lease "expires" (deleted here instead of waiting); a second holder comes in.
    const [name] = (await a.command(undefined, ['KEYS', 'cad:*'])) as string[]
    await a.command(name, ['DEL', name!])
    const second = await redisLock(b, { keyPrefix: 'cad:' }).acquire(key, 5000)
    expect(second).not.toBeNull()
    await first!.release()
    // The second holder still holds it.
    expect(await redisLock(b, { keyPrefix: 'cad:' }).acquire(key, 5000)).toBeNull()
    expect(Number(await a.command(name, ['PTTL', name!]))).toBeGreaterThan(0)
    await second!.release()
    expect(Number(await a.command(name, ['EXISTS', name!]))).toBe(0)
  })

  it('renews the lease while held, so a long holder keeps its lock past the lease', async () => {
    const lock = redisLock(a, { keyPrefix: 'renew:' })
    const key = freshKey()
    const lease = await lock.acquire(key, 150)
    expect(lease).not.toBeNull()
    await sleep(600) // four leases
    expect(await redisLock(b, { keyPrefix: 'renew:' }).acquire(key, 150)).toBeNull()
    await lease!.release()
    // Renewal stopped with the release: the key is gone and stays gone.
    const next = await redisLock(b, { keyPrefix: 'renew:' }).acquire(key, 150)
    expect(next).not.toBeNull()
    await next!.release()
  })

  it('wakes waiters on release, long before their timeout', async () => {
    const key = freshKey()
    const holder = await redisLock(a).acquire(key, 30_000)
    expect(holder).not.toBeNull()
    const waiterLock = redisLock(b)
    let woken = 0
    const waiters = Array.from({ length: 5 }, () =>
      waiterLock.waitForRelease(key, 20_000).then(() => {
        woken++
      }),
    )
    await sleep(100)
    expect(woken).toBe(0) // still held: nobody woke up
    await holder!.release()
    // Vitest's 30 s test timeout is far below the waiters' 20 s timeout + the holder's 30 s lease:
    // finishing at all proves the release message woke them.
    const outcome = await Promise.race([
      Promise.all(waiters).then(() => 'woken'),
      sleep(10_000).then(() => 'timeout'),
    ])
    expect(outcome).toBe('woken')
    expect(woken).toBe(5)
  })

  it('resolves at once when nobody holds the key', async () => {
    const outcome = await Promise.race([
      redisLock(b)
        .waitForRelease(freshKey(), 20_000)
        .then(() => 'free'),
      sleep(10_000).then(() => 'timeout'),
    ])
    expect(outcome).toBe('free')
  })

  it('replaces a crashed holder (no release, no renewal) once its lease has expired', async () => {
    const key = freshKey()
    const lock = redisLock(a, { keyPrefix: 'crash:' })
    // A crashed holder: SET NX PX by hand, as a holder's process would have, and nothing after.
    const probe = await lock.acquire(key, 5000)
    const [name] = (await a.command(undefined, ['KEYS', 'crash:*'])) as string[]
    await probe!.release()
    await a.command(name, ['SET', name!, 'dead-holder', 'PX', 300])
    expect(await lock.acquire(key, 5000)).toBeNull()
    await redisLock(b, { keyPrefix: 'crash:' }).waitForRelease(key, 20_000) // woken by expiry
    const next = await lock.acquire(key, 5000)
    expect(next).not.toBeNull()
    await next!.release()
  })

  it('validates its options', () => {
    expect(() => redisLock(a, { leaseMs: 5 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    )
    expect(() => redisLock(a, { keyPrefix: '' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    )
    expect(redisLock(a, { leaseMs: 1234 }).leaseMs).toBe(1234)
  })
})

describe('redisLock when Redis is down', () => {
  it('fails acquire with the typed transient StoreUnavailableError', async () => {
    const down = await startRedis()
    const io = new Redis(down.url, { lazyConnect: true, maxRetriesPerRequest: 0 })
    io.on('error', () => undefined)
    await io.connect()
    closers.push(async () => io.disconnect())
    const lock = redisLock(toRedisClient(io, { timeoutMs: 300 }))
    await down.close()
    const error = await lock.acquire(freshKey(), 1000).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect((error as StoreUnavailableError).transient).toBe(true)
  })
})
