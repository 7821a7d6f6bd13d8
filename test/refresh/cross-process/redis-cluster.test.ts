/**
 * The Redis lock and result cache on a real 3-master Redis Cluster (ioredis `Cluster` and
 * node-redis `createCluster`): the lock and the cached result of one grant share a slot (one
 * `{hash tag}`), the release script's PUBLISH reaches waiters, and a result round-trips.
 */
import { Cluster } from 'ioredis'
import { createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runExclusive } from 'oidc-session'
import { redisLock, redisResultCache, toRedisClient, type RedisClient } from 'oidc-session/redis'
import { refreshKey } from '../../../src/refresh/scheduler.js'
import { startRedisCluster, type TestRedisCluster } from '../../fixtures/redis.js'

let cluster: TestRedisCluster
const closers: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  cluster = await startRedisCluster()
}, 60_000)

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined)
  await cluster?.close()
})

describe.each([
  [
    'ioredis Cluster',
    async (): Promise<RedisClient> => {
      const client = new Cluster(cluster.nodes)
      client.on('error', () => undefined)
      closers.push(async () => client.disconnect())
      return toRedisClient(client)
    },
  ],
  [
    'node-redis cluster',
    async (): Promise<RedisClient> => {
      const client = createCluster({
        rootNodes: cluster.nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
      })
      client.on('error', () => undefined)
      await client.connect()
      closers.push(async () => client.destroy())
      return toRedisClient(client)
    },
  ],
])('on %s', (name, connect) => {
  it('puts the lock and the result of one grant in one slot, wakes waiters, shares the result', async () => {
    const [a, b] = [await connect(), await connect()]
    const key = await refreshKey(`cluster-refresh-token-${name}`)
    const tokens = { accessToken: 'new-access', tokenType: 'Bearer', refreshToken: 'new-refresh' }
    const keyPrefix = `cl-${name.split(' ')[0]}:`
    const locks = [redisLock(a, { keyPrefix }), redisLock(b, { keyPrefix })]
    const caches = [redisResultCache(a, { keyPrefix }), redisResultCache(b, { keyPrefix })]
    let works = 0
    const burst = Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        runExclusive({
          key,
          lock: locks[i % 2]!,
          leaseMs: 30_000,
          waitMs: 20_000,
          recheck: () => caches[i % 2]!.get(key),
          work: async () => {
            works++
            await new Promise((resolve) => setTimeout(resolve, 100))
            await caches[i % 2]!.set(key, tokens, 60)
            return tokens
          },
        }),
      ),
    )
    // Far below the waiters' 20 s timeout and the 30 s lease: only the release message frees them.
    const results = await Promise.race([
      burst,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
    ])
    expect(results).not.toBe('timeout')
    if (results === 'timeout') return
    expect(works).toBe(1)
    expect(results.every((r) => r.accessToken === 'new-access')).toBe(true)
    // The lock is gone and the result is there; both names hash to the same slot.
    const names = [] as string[]
    for (const node of cluster.nodes) {
      const { Redis } = await import('ioredis')
      const direct = new Redis(node.port, node.host)
      names.push(...(await direct.keys(`${keyPrefix}*`)))
      direct.disconnect()
    }
    const result = names.find((n) => n.endsWith(':result'))!
    expect(result).toBeDefined()
    const lockName = result.replace(/:result$/, ':lock')
    expect(names).not.toContain(lockName)
    const slot = async (n: string) => Number(await a.command(n, ['CLUSTER', 'KEYSLOT', n]))
    expect(await slot(lockName)).toBe(await slot(result))
  })
})
