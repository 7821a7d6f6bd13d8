/**
 * The Redis store against a real, private `redis-server`: the contract suite with ioredis and
 * node-redis, then what only Redis has — one round trip on the hot path (counted on the client and
 * on the server), TTLs, what a Redis dump reveals, garbage in Redis, and outages.
 */
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StoreUnavailableError } from 'oidc-session'
import {
  redisStore,
  toRedisClient,
  type RedisClient,
  type RedisStore,
  type RedisStoreOptions,
} from 'oidc-session/redis'
import { startRedis, type TestRedis } from '../../fixtures/redis.js'
import { Browser, makeSession } from '../../fixtures/store-helpers.js'
import { NOW, contextFor, describeStoreContract, loadIn, saveIn } from '../contract.js'

let redis: TestRedis
let ioredis: Redis
let nodeRedis: ReturnType<typeof createClient>
let prefixes = 0
const nextPrefix = () => `test${++prefixes}:`

beforeAll(async () => {
  redis = await startRedis()
  ioredis = new Redis(redis.url, { lazyConnect: true })
  ioredis.on('error', () => undefined)
  await ioredis.connect()
  nodeRedis = createClient({ url: redis.url })
  nodeRedis.on('error', () => undefined)
  await nodeRedis.connect()
})

afterAll(async () => {
  ioredis?.disconnect()
  await nodeRedis?.close().catch(() => undefined)
  await redis?.close()
})

describeStoreContract('redis (ioredis)', () =>
  redisStore({ client: ioredis, keyPrefix: nextPrefix() }),
)
describeStoreContract('redis (node-redis)', () =>
  redisStore({ client: nodeRedis, keyPrefix: nextPrefix() }),
)
describeStoreContract('redis (ioredis, idle timeout)', () =>
  redisStore({ client: ioredis, keyPrefix: nextPrefix(), idleTimeout: 900 }),
)

/** A RedisClient that counts the commands (round trips) it sends, by name. */
function counting(inner: RedisClient): RedisClient & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    command(key, args) {
      calls.push(String(args[0]))
      return inner.command(key, args)
    },
    subscribe: (channel, listener) => inner.subscribe(channel, listener),
  }
}

/** All keys under a prefix with their values (strings) or members (sets). */
async function dump(prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const key of await ioredis.keys(`${prefix}*`)) {
    const type = await ioredis.type(key)
    out.set(
      key,
      type === 'set' ? (await ioredis.smembers(key)).join(',') : String(await ioredis.get(key)),
    )
  }
  return out
}

const commandCalls = async (name: string): Promise<number> => {
  const info = await ioredis.info('commandstats')
  const match = new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)
  return Number(match?.[1] ?? 0)
}

function loggedIn(store: RedisStore, overrides: Parameters<typeof makeSession>[1] = {}) {
  const browser = new Browser()
  return saveIn(browser, store, makeSession(NOW, overrides)).then((saved) => {
    expect(saved).toBe(true)
    return browser
  })
}

describe('redisStore: hot path', () => {
  for (const [label, extra, command] of [
    ['absolute lifetime only', {}, 'GET'],
    ['with idle timeout', { idleTimeout: 600 }, 'EVALSHA'],
  ] as const) {
    it(`a load that changes nothing is ONE Redis round trip (${label}: one ${command})`, async () => {
      const client = counting(toRedisClient(ioredis))
      const options: RedisStoreOptions = { client, keyPrefix: nextPrefix(), ...extra }
      const store = redisStore(options)
      const browser = await loggedIn(store)
      await loadIn(browser, store) // warm-up: the first EVALSHA may need one EVAL (NOSCRIPT)
      client.calls.length = 0
      const serverBefore = await commandCalls(command.toLowerCase())
      const N = 50
      for (let i = 0; i < N; i++)
        expect((await loadIn(browser, store)).session?.sub).toBe('user-123')
      const serverAfter = await commandCalls(command.toLowerCase())
      console.log(
        `redisStore hot path (${label}): ${client.calls.length} commands for ${N} loads (${client.calls.length / N} per load: ${[...new Set(client.calls)].join(',')}); server saw ${serverAfter - serverBefore} ${command}`,
      )
      expect(client.calls).toEqual(Array.from({ length: N }, () => command))
      expect(serverAfter - serverBefore).toBe(N)
    })
  }

  it('a save of a loaded session is one round trip (one EVALSHA compare-and-set)', async () => {
    const client = counting(toRedisClient(ioredis))
    const store = redisStore({ client, keyPrefix: nextPrefix() })
    const browser = await loggedIn(store)
    const warm = await loadIn(browser, store)
    if (!warm.session) throw new Error('no session')
    await saveIn(browser, store, warm.session) // warm-up (script cache)
    const loaded = await loadIn(browser, store)
    if (!loaded.session) throw new Error('no session')
    client.calls.length = 0
    expect(await saveIn(browser, store, loaded.session)).toBe(true)
    expect(client.calls).toEqual(['EVALSHA'])
  })
})

describe('redisStore: what the cookie and a Redis dump hold', () => {
  it('the cookie is a ticket `id.key`; Redis holds no token, no sub or sid, and not the ticket id', async () => {
    const keyPrefix = nextPrefix()
    const store = redisStore({ client: ioredis, keyPrefix })
    const secrets = {
      accessToken: 'AT-secret-access-token-value',
      refreshToken: 'RT-secret-refresh-token-value',
      idToken: 'IDT-secret-id-token-value',
    }
    const browser = await loggedIn(store, {
      sub: 'subject-alice',
      sid: 'provider-sid-42',
      tokens: secrets,
    })
    const ticket = browser.cookies.get('sess') ?? ''
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/)
    const [id = '', key = ''] = ticket.split('.')
    const contents = await dump(keyPrefix)
    expect(contents.size).toBe(3) // the session, the sub index, the sid index
    const everything = [...contents].flat().join('\n')
    for (const hidden of [...Object.values(secrets), 'subject-alice', 'provider-sid-42', id, key]) {
      expect(everything).not.toContain(hidden)
    }
    // One hash tag per key: each Lua script touches a single slot (Redis Cluster).
    for (const name of contents.keys())
      expect(name).toMatch(/^test\d+:[sud]:\{[A-Za-z0-9_-]{22}\}$/)
    // Handles from the index are not tickets and do not open anything.
    const handles = await store.findBySub('subject-alice')
    expect(handles).toHaveLength(1)
    expect(ticket).not.toContain(handles[0])
  })

  it('a new login always gets a new ticket, even with the same session object contents', async () => {
    const store = redisStore({ client: ioredis, keyPrefix: nextPrefix() })
    const a = await loggedIn(store)
    const b = await loggedIn(store)
    expect(a.cookies.get('sess')).not.toBe(b.cookies.get('sess'))
  })
})

describe('redisStore: indexes', () => {
  it('destroy removes the handle from both index sets; a vanished session is never found', async () => {
    const keyPrefix = nextPrefix()
    const store = redisStore({ client: ioredis, keyPrefix })
    const browser = await loggedIn(store, { sub: 'idx-user', sid: 'idx-sid' })
    const gone = await loggedIn(store, { id: 'gone', sub: 'idx-user', sid: 'idx-sid-2' })
    const indexes = () => ioredis.keys(`${keyPrefix}[ud]:*`)
    expect(await indexes()).toHaveLength(3)
    await store.destroy(contextFor(browser.header()), null)
    const members = await Promise.all((await indexes()).map((k) => ioredis.smembers(k)))
    expect(members.flat()).toHaveLength(2) // only the other session: in its sub and sid sets
    // The other session's key vanishes (as after its idle TTL): lookups skip it, and a
    // back-channel destroy counts only live sessions but still leaves a tombstone.
    const sessionKeys = await ioredis.keys(`${keyPrefix}s:*`)
    for (const key of sessionKeys) if ((await ioredis.get(key)) !== '~') await ioredis.del(key)
    expect(await store.findBySub('idx-user')).toEqual([])
    expect(await store.destroyBySub('idx-user', NOW)).toBe(0)
    expect((await loadIn(gone, store)).reason).toBe('revoked')
    expect((await ioredis.keys(`${keyPrefix}u:*`)).length).toBe(0)
  })
})

describe('redisStore: TTLs', () => {
  it('absolute lifetime is the key TTL and the cookie Max-Age', async () => {
    const keyPrefix = nextPrefix()
    const store = redisStore({ client: ioredis, keyPrefix })
    const jarContext = contextFor(undefined)
    await store.save(jarContext, makeSession(NOW, { expiresAt: NOW + 1000 }))
    expect(jarContext.jar.setCookieLines()[0]).toContain('Max-Age=1000;')
    const [sessionKey] = await ioredis.keys(`${keyPrefix}s:*`)
    const ttl = await ioredis.ttl(sessionKey ?? '')
    expect(ttl).toBeGreaterThan(990)
    expect(ttl).toBeLessThanOrEqual(1000)
    for (const index of await ioredis.keys(`${keyPrefix}[ud]:*`)) {
      expect(await ioredis.ttl(index)).toBeGreaterThan(990)
    }
  })

  it('idle timeout: the TTL is the idle timeout, renewed by a load, never past the absolute end', async () => {
    const keyPrefix = nextPrefix()
    const store = redisStore({ client: ioredis, keyPrefix, idleTimeout: 600 })
    const browser = await loggedIn(store, { expiresAt: NOW + 3600 })
    const [key = ''] = await ioredis.keys(`${keyPrefix}s:*`)
    expect(await ioredis.ttl(key)).toBeLessThanOrEqual(600)
    expect(await ioredis.ttl(key)).toBeGreaterThan(590)
    await ioredis.expire(key, 5) // as if the user had been idle for 595 seconds
    expect((await loadIn(browser, store)).session).not.toBeNull()
    expect(await ioredis.ttl(key)).toBeGreaterThan(590) // renewed in the same round trip
    // 3 400 s later only 200 s of absolute lifetime remain: the renewal stops there.
    expect((await loadIn(browser, store, NOW + 3400)).session).not.toBeNull()
    const capped = await ioredis.ttl(key)
    expect(capped).toBeLessThanOrEqual(200)
    expect(capped).toBeGreaterThan(190)
    // Once the key is gone (idle), the ticket no longer opens anything.
    await ioredis.del(key)
    expect(await loadIn(browser, store)).toEqual({ session: null, reason: 'expired' })
  })

  it('a tombstone lives tombstoneTtl seconds', async () => {
    const keyPrefix = nextPrefix()
    const store = redisStore({ client: ioredis, keyPrefix, tombstoneTtl: 120 })
    const browser = await loggedIn(store)
    await store.destroy(contextFor(browser.header()), null)
    const [key = ''] = await ioredis.keys(`${keyPrefix}s:*`)
    expect(await ioredis.get(key)).toBe('~')
    expect(await ioredis.ttl(key)).toBeLessThanOrEqual(120)
    expect(await ioredis.ttl(key)).toBeGreaterThan(110)
    // Expired tombstone: the old ticket is unknown, and a late write still cannot recreate it.
    await ioredis.del(key)
    expect((await loadIn(browser, store)).reason).toBe('expired')
  })
})

describe('redisStore: garbage in Redis is tampered, never an exception', () => {
  it('non-sealed, wrong-shape, foreign-key and wrong-type values', async () => {
    const keyPrefix = nextPrefix()
    const store = redisStore({ client: ioredis, keyPrefix })
    const victim = await loggedIn(store, { id: 'victim' })
    const [victimSessionKey = ''] = await ioredis.keys(`${keyPrefix}s:*`)
    const otherPrefix = nextPrefix()
    const otherStore = redisStore({ client: ioredis, keyPrefix: otherPrefix })
    const other = await loggedIn(otherStore, { id: 'other', sub: 'other-user' })
    const [otherKey = ''] = await ioredis.keys(`${otherPrefix}s:*`)
    const otherValue = (await ioredis.get(otherKey)) ?? ''
    const original = (await ioredis.get(victimSessionKey)) ?? ''
    const [version, expiresAt, subTag, sidTag, sealed] = original.split('|')
    const garbage = [
      'not json at all',
      '{"i":"x","v":1}',
      '1|2|3',
      `${version}|${expiresAt}|${subTag}|${sidTag}|`,
      `${version}|${expiresAt}|${subTag}|${sidTag}|${(sealed ?? '').slice(0, -4)}AAAA`,
      `${Number(version) + 5}|${expiresAt}|${subTag}|${sidTag}|${sealed}`, // forged version
      `${version}|${Number(expiresAt) + 9999}|${subTag}|${sidTag}|${sealed}`, // forged expiry
      `${version}|${expiresAt}|${sidTag}|${subTag}|${sealed}`, // swapped index tags
      otherValue, // another session's value: sealed under another key
    ]
    for (const value of garbage) {
      await ioredis.set(victimSessionKey, value, 'KEEPTTL')
      expect(await loadIn(victim, store), value.slice(0, 30)).toEqual({
        session: null,
        reason: 'tampered',
      })
    }
    await ioredis.del(victimSessionKey)
    await ioredis.sadd(victimSessionKey, 'a set, not a string')
    expect(await loadIn(victim, store)).toEqual({ session: null, reason: 'tampered' })
    await store.destroy(contextFor(victim.header()), null) // no throw either
    expect((await loadIn(other, otherStore)).session?.sub).toBe('other-user')
  })
})

describe('redisStore: Redis slow or down', () => {
  it('slow (CLIENT PAUSE): StoreUnavailableError after the timeout, then works again', async () => {
    const client = new Redis(redis.url, { lazyConnect: true })
    client.on('error', () => undefined)
    await client.connect()
    try {
      const store = redisStore({ client, keyPrefix: nextPrefix(), timeoutMs: 300 })
      const browser = await loggedIn(store)
      await ioredis.call('CLIENT', 'PAUSE', '1500', 'ALL')
      const error = await loadIn(browser, store).then(
        () => null,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(StoreUnavailableError)
      expect((error as StoreUnavailableError).code).toBe('ERR_STORE_UNAVAILABLE')
      expect((error as StoreUnavailableError).transient).toBe(true)
      await ioredis.call('CLIENT', 'UNPAUSE')
      expect((await loadIn(browser, store)).session?.sub).toBe('user-123')
    } finally {
      client.disconnect()
    }
  })

  const clients = {
    ioredis: async () => {
      const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
      client.on('error', () => undefined)
      await client.connect()
      return { client, close: async () => client.disconnect() }
    },
    'node-redis': async () => {
      const client = createClient({ url: redis.url })
      client.on('error', () => undefined)
      await client.connect()
      return { client, close: () => client.close().catch(() => undefined) }
    },
  }
  for (const [label, connect] of Object.entries(clients))
    it(`down (stop/start, ${label}): every operation throws StoreUnavailableError, nothing is lost`, async () => {
      const { client, close } = await connect()
      try {
        const store = redisStore({ client, keyPrefix: nextPrefix(), timeoutMs: 500 })
        const browser = await loggedIn(store, { sub: 'outage-user' })
        const loaded = await loadIn(browser, store)
        if (!loaded.session) throw new Error('no session')
        await ioredis.call('SAVE') // a restarted Redis reloads its dump
        await redis.stop()
        const unavailable = async (operation: Promise<unknown>) => {
          const error = await operation.then(
            () => null,
            (e: unknown) => e,
          )
          expect(error).toBeInstanceOf(StoreUnavailableError)
          expect(String((error as Error).message)).not.toContain(browser.cookies.get('sess') ?? '')
        }
        await unavailable(loadIn(browser, store))
        await unavailable(store.save(contextFor(browser.header()), loaded.session))
        await unavailable(store.save(contextFor(undefined), makeSession(NOW, { id: 'new' })))
        await unavailable(store.destroy(contextFor(browser.header()), null))
        await unavailable(store.findBySub('outage-user'))
        expect(loaded.session.version).toBe(1) // the failed save changed nothing
        await redis.start()
        let result: Awaited<ReturnType<typeof loadIn>> | undefined
        for (let attempt = 0; attempt < 100 && !result; attempt++) {
          result = await loadIn(browser, store).catch(async () => {
            await new Promise((resolve) => setTimeout(resolve, 100))
            return undefined
          })
        }
        expect(result?.session?.sub).toBe('outage-user')
        expect(result?.session?.version).toBe(1)
        // And it is writable again.
        expect(await saveIn(browser, store, result!.session!)).toBe(true)
      } finally {
        await close()
        await ioredis.ping().catch(() => undefined)
      }
    })
})

describe('redisStore: options', () => {
  it('rejects invalid options with TypeError codes', () => {
    const bad: unknown[] = [
      undefined,
      {},
      { client: 42 },
      { client: ioredis, keyPrefix: 'a{b}' },
      { client: ioredis, keyPrefix: '' },
      { client: ioredis, idleTimeout: 0 },
      { client: ioredis, idleTimeout: 1.5 },
      { client: ioredis, tombstoneTtl: -1 },
      { client: {} },
    ]
    for (const options of bad) {
      expect(() => redisStore(options as RedisStoreOptions)).toThrow(TypeError)
      try {
        redisStore(options as RedisStoreOptions)
      } catch (error) {
        expect(['ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE']).toContain(
          (error as { code?: string }).code,
        )
      }
    }
    expect(redisStore({ client: ioredis }).keyPrefix).toBe('oidc-session:session:')
  })
})
