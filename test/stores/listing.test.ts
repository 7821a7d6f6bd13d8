/**
 * The `ListingSessionStore` capability of the memory and Redis stores: sessions listed by `sub`
 * from their summary (id, times, user agent, the escrow the manager passed), one ended by handle
 * (tombstone), tombstones and other users left out, no token in a summary. Plus the new session
 * fields (`lastSeenAt`, `data`, `acr`, `authTime`, `userAgent`) through both wire forms.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  isListingStore,
  isStatefulStore,
  memoryStore,
  cookieStore,
  type ListingSessionStore,
} from 'oidc-session'
import { redisStore } from 'oidc-session/redis'
import { CookieJar } from '../../src/request/cookie-jar.js'
import {
  decodeSession,
  encodeSession,
  packSession,
  unpackSession,
} from '../../src/session/session.js'
import { Browser, context, makeSession } from '../fixtures/store-helpers.js'
import { startRedis, type TestRedis } from '../fixtures/redis.js'

const NOW = 1_700_000_000
let redis: TestRedis
let client: Redis

beforeAll(async () => {
  redis = await startRedis()
  client = new Redis(redis.url)
})

afterAll(async () => {
  client?.disconnect()
  await redis?.close()
})

async function saveAs(
  store: ListingSessionStore,
  browser: Browser,
  id: string,
  sub: string,
  escrow?: string,
) {
  const jar = browser.jar()
  const session = makeSession(NOW, {
    id,
    sub,
    lastSeenAt: NOW + 5,
    userAgent: `UA ${id}`,
    tokens: { refreshToken: `refresh-token-of-${id}` },
  })
  expect(await store.save({ ...context(jar, NOW), ...(escrow ? { escrow } : {}) }, session)).toBe(
    true,
  )
  browser.receive(jar.setCookieLines())
}

const stores: [string, () => ListingSessionStore][] = [
  ['memory', () => memoryStore()],
  ['redis', () => redisStore({ client, keyPrefix: `listing:${Math.random()}:` })],
]

describe.each(stores)('%s store: listing by sub', (_name, factory) => {
  it('lists the live sessions of one sub with their summary, and ends one by handle', async () => {
    const store = factory()
    expect(isListingStore(store)).toBe(true)
    const one = new Browser()
    const two = new Browser()
    const other = new Browser()
    await saveAs(store, one, 'one', 'alice', 'sealed-escrow-1')
    await saveAs(store, two, 'two', 'alice')
    await saveAs(store, other, 'three', 'bob')
    const listed = (await store.listBySub('alice', NOW)).sort((a, b) => a.id.localeCompare(b.id))
    expect(listed.map(({ handle: _handle, ...rest }) => rest)).toEqual([
      {
        id: 'one',
        createdAt: NOW,
        lastSeenAt: NOW + 5,
        expiresAt: NOW + 3600,
        userAgent: 'UA one',
        escrow: 'sealed-escrow-1',
      },
      {
        id: 'two',
        createdAt: NOW,
        lastSeenAt: NOW + 5,
        expiresAt: NOW + 3600,
        userAgent: 'UA two',
      },
    ])
    expect(JSON.stringify(listed)).not.toContain('refresh-token-of')
    const target = listed.find((s) => s.id === 'two')
    expect(await store.destroyHandle(target?.handle ?? '', NOW)).toBe(true)
    expect(await store.destroyHandle(target?.handle ?? '', NOW)).toBe(false)
    expect((await store.listBySub('alice', NOW)).map((s) => s.id)).toEqual(['one'])
    expect((await store.load(context(two.jar(), NOW))).reason).toBe('revoked')
    expect((await store.load(context(one.jar(), NOW))).session?.id).toBe('one')
    expect((await store.listBySub('bob', NOW)).map((s) => s.id)).toEqual(['three'])
    expect(await store.listBySub('nobody', NOW)).toEqual([])
  })
})

describe('capabilities and wire forms', () => {
  it('the cookie store is not a listing store', () => {
    const store = cookieStore({ secrets: ['x'.repeat(32)] })
    expect(isStatefulStore(store)).toBe(false)
    expect(isListingStore(store)).toBe(false)
  })

  it('lastSeenAt, data, acr, authTime and userAgent survive both wire forms', () => {
    const session = makeSession(NOW, {
      lastSeenAt: NOW + 9,
      data: { roles: ['admin'], nested: { n: 1 } },
      acr: 'urn:mfa',
      authTime: NOW - 3,
      userAgent: 'Browser/1.0',
    })
    for (const copy of [
      decodeSession(JSON.parse(JSON.stringify(encodeSession(session)))),
      unpackSession(packSession(session)),
    ]) {
      expect(copy).toMatchObject({
        lastSeenAt: NOW + 9,
        data: { roles: ['admin'], nested: { n: 1 } },
        acr: 'urn:mfa',
        authTime: NOW - 3,
        userAgent: 'Browser/1.0',
      })
    }
    // Malformed new fields make the whole session garbage, never a half-read one.
    const wire = { ...encodeSession(session), u: ['not', 'an', 'object'] }
    expect(decodeSession(wire)).toBeNull()
    expect(decodeSession({ ...encodeSession(session), l: 'soon' })).toBeNull()
    expect(new CookieJar(undefined).names()).toEqual([])
  })
})
