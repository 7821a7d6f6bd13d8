/**
 * The Redis store on a real local 3-master Redis Cluster, with ioredis `Cluster` and node-redis
 * `createCluster`: the contract suite, and the key layout (each Lua script stays in one slot, the
 * keys of many sessions spread over the masters).
 */
import { Cluster } from 'ioredis'
import { createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from 'oidc-session/redis'
import { startRedisCluster, type TestRedisCluster } from '../../fixtures/redis.js'
import { Browser, makeSession } from '../../fixtures/store-helpers.js'
import { NOW, describeStoreContract, loadIn, saveIn } from '../contract.js'

let cluster: TestRedisCluster
let ioCluster: Cluster
let nodeCluster: ReturnType<typeof createCluster>
let prefixes = 0
const nextPrefix = () => `cluster${++prefixes}:`

beforeAll(async () => {
  cluster = await startRedisCluster()
  ioCluster = new Cluster(cluster.nodes, { lazyConnect: true })
  ioCluster.on('error', () => undefined)
  await ioCluster.connect()
  nodeCluster = createCluster({
    rootNodes: cluster.nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
  })
  nodeCluster.on('error', () => undefined)
  await nodeCluster.connect()
})

afterAll(async () => {
  ioCluster?.disconnect()
  await nodeCluster?.close().catch(() => undefined)
  await cluster?.close()
})

describeStoreContract('redis cluster (ioredis Cluster)', () =>
  redisStore({ client: ioCluster, keyPrefix: nextPrefix() }),
)
describeStoreContract('redis cluster (node-redis createCluster)', () =>
  redisStore({ client: nodeCluster, keyPrefix: nextPrefix(), idleTimeout: 900 }),
)

describe('redisStore on Redis Cluster: key layout', () => {
  it('sessions and their indexes spread over the masters; each key has its own hash tag', async () => {
    const keyPrefix = nextPrefix()
    const store = redisStore({ client: ioCluster, keyPrefix })
    const browsers: Browser[] = []
    for (let i = 0; i < 12; i++) {
      const browser = new Browser()
      expect(
        await saveIn(
          browser,
          store,
          makeSession(NOW, { id: `s${i}`, sub: `user-${i % 4}`, sid: `sid-${i}` }),
        ),
      ).toBe(true)
      browsers.push(browser)
    }
    const nodes = ioCluster.nodes('master')
    expect(nodes).toHaveLength(3)
    const perNode = await Promise.all(nodes.map((node) => node.keys(`${keyPrefix}*`)))
    const all = perNode.flat()
    expect(all).toHaveLength(12 + 4 + 12) // sessions, sub indexes, sid indexes
    expect(perNode.filter((keys) => keys.length > 0).length).toBeGreaterThan(1)
    for (const key of all) expect(key).toMatch(/^cluster\d+:[sud]:\{[A-Za-z0-9_-]{22}\}$/)
    for (const browser of browsers) expect((await loadIn(browser, store)).session).not.toBeNull()
    expect(await store.findBySub('user-1')).toHaveLength(3)
    expect(await store.destroyBySub('user-1', NOW)).toBe(3)
    expect((await loadIn(browsers[1]!, store)).reason).toBe('revoked')
    expect((await loadIn(browsers[2]!, store)).session?.sub).toBe('user-2')
  })
})
