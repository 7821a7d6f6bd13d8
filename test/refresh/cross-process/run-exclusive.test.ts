/**
 * `runExclusive` on the in-memory lock and on the Redis lock: one holder does the work, the others
 * take its result; a failed holder hands over; a holder that never releases is outwaited only up to
 * `waitMs`, with the typed transient error.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryLock, ProviderUnavailableError, runExclusive, type RefreshLock } from 'oidc-session'
import { redisLock } from 'oidc-session/redis'
import { startRedis, type TestRedis } from '../../fixtures/redis.js'

let redis: TestRedis
let io: Redis

beforeAll(async () => {
  redis = await startRedis()
  io = new Redis(redis.url)
})

afterAll(async () => {
  io?.disconnect()
  await redis?.close()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let seq = 0

describe.each([
  ['memoryLock', (): RefreshLock => memoryLock()],
  ['redisLock', (): RefreshLock => redisLock(io)],
])('runExclusive on %s', (name, makeLock) => {
  it('runs the work once for 50 concurrent callers; the others get its result', async () => {
    const lock = makeLock()
    const key = `k${++seq}`
    let result: string | undefined
    let works = 0
    let rechecks = 0
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        runExclusive({
          key,
          lock,
          leaseMs: 5000,
          waitMs: 5000,
          recheck: async () => {
            rechecks++
            return result
          },
          work: async () => {
            works++
            await sleep(50)
            result = 'fresh'
            return result
          },
        }),
      ),
    )
    expect(works).toBe(1)
    expect(outcomes).toEqual(Array.from({ length: 50 }, () => 'fresh'))
    expect(rechecks).toBeGreaterThanOrEqual(50) // the holder rechecked too, before working
  })

  it('the holder rechecks first and skips the work when a result is already there', async () => {
    let works = 0
    const value = await runExclusive({
      key: `k${++seq}`,
      lock: makeLock(),
      leaseMs: 5000,
      waitMs: 5000,
      recheck: async () => 'from-cache',
      work: async () => {
        works++
        return 'from-work'
      },
    })
    expect(value).toBe('from-cache')
    expect(works).toBe(0)
  })

  it('hands over after a failed holder: the next caller acquires and works', async () => {
    const lock = makeLock()
    const key = `k${++seq}`
    let calls = 0
    const run = () =>
      runExclusive({
        key,
        lock,
        leaseMs: 5000,
        waitMs: 5000,
        recheck: async () => undefined,
        work: async () => {
          calls++
          await sleep(30)
          if (calls === 1) throw new Error('first holder fails')
          return `done-${calls}`
        },
      })
    const [first, second] = await Promise.allSettled([run(), run()])
    expect(first.status).toBe('rejected')
    expect(second).toEqual({ status: 'fulfilled', value: 'done-2' })
    // The lock was released both times.
    const again = await lock.acquire(key, 1000)
    expect(again).not.toBeNull()
    await again!.release()
  })

  it('gives up after waitMs with the typed transient ProviderUnavailableError', async () => {
    const lock = makeLock()
    const key = `k${++seq}`
    const stuck = await lock.acquire(key, 10_000)
    expect(stuck).not.toBeNull()
    let works = 0
    const error = await runExclusive({
      key,
      lock,
      leaseMs: 10_000,
      waitMs: 150,
      recheck: async () => undefined,
      work: async () => {
        works++
        return 'never'
      },
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProviderUnavailableError)
    expect((error as ProviderUnavailableError).transient).toBe(true)
    expect(works).toBe(0)
    await stuck!.release()
  })

  it('replaces a holder that never releases once its lease expires', async () => {
    const lock = makeLock()
    const key = `k${++seq}`
    // Taken with a 200 ms lease and never released.
    const abandoned = await lock.acquire(key, 200)
    expect(abandoned).not.toBeNull()
    if (name === 'redisLock') {
      // A live Redis holder renews its lease; a crashed one does not. Simulate the crash: another
      // value in the key makes the renewal stop (compare fails), and the key expires 200 ms later.
      for (const lockKey of await io.keys('oidc-session:refresh:*:lock')) {
        await io.set(lockKey, 'crashed-holder', 'PX', 200)
      }
    }
    const value = await runExclusive({
      key,
      lock,
      leaseMs: 5000,
      waitMs: 5000,
      recheck: async () => undefined,
      work: async () => 'taken-over',
    })
    expect(value).toBe('taken-over')
  })
})

describe('memoryLock', () => {
  it('honours the injected clock for lease expiry', async () => {
    let now = 1_000_000
    const lock = memoryLock({ now: () => now })
    expect(await lock.acquire('k', 1000)).not.toBeNull()
    expect(await lock.acquire('k', 1000)).toBeNull()
    now += 1001
    expect(await lock.acquire('k', 1000)).not.toBeNull()
  })

  it('release by a stale lease leaves the new holder alone', async () => {
    let now = 0
    const lock = memoryLock({ now: () => now })
    const first = await lock.acquire('k', 100)
    now += 200
    const second = await lock.acquire('k', 100)
    expect(second).not.toBeNull()
    await first!.release()
    expect(await lock.acquire('k', 100)).toBeNull()
  })
})
