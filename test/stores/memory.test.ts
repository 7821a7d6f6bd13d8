import { describe, expect, it } from 'vitest'
import { CookieJar } from '../../src/request/cookie-jar.js'
import { memoryStore } from '../../src/stores/memory/index.js'
import { Browser, context, makeSession, without } from '../fixtures/store-helpers.js'

const NOW = 1_700_000_000

/** Save from a request carrying the browser's cookies; deliver the response. */
async function save(
  browser: Browser,
  store: ReturnType<typeof memoryStore>,
  session: Parameters<ReturnType<typeof memoryStore>['save']>[1],
  now = NOW,
): Promise<boolean> {
  const jar = browser.jar()
  const saved = await store.save(context(jar, now), session)
  browser.receive(jar.setCookieLines())
  return saved
}

async function load(browser: Browser, store: ReturnType<typeof memoryStore>, now = NOW) {
  return store.load(context(browser.jar(), now))
}

describe('memoryStore', () => {
  it('is stateful and issues an opaque 43-character ticket cookie on save', async () => {
    const store = memoryStore()
    expect(store.stateful).toBe(true)
    const jar = new CookieJar(undefined)
    expect(await store.save(context(jar, NOW), makeSession(NOW))).toBe(true)
    const lines = jar.setCookieLines()
    expect(lines).toHaveLength(1)
    const match = /^sess=([^;]*); Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Lax$/.exec(
      lines[0] ?? '',
    )
    expect(match).not.toBeNull()
    const ticket = match?.[1] ?? ''
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // Opaque: nothing of the session leaks into the cookie.
    for (const part of ['user-123', 'sid-abc', 'access-token', 'session-id-1']) {
      expect(ticket).not.toContain(part)
    }
  })

  it('issues a different ticket for every new session', async () => {
    const store = memoryStore()
    const tickets = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const browser = new Browser()
      await save(browser, store, makeSession(NOW, { id: `s${i}` }))
      tickets.add(browser.cookies.get('sess') ?? '')
    }
    expect(tickets.size).toBe(20)
    expect(store.size).toBe(20)
  })

  it('loads back what it saved, with the bumped version', async () => {
    const store = memoryStore()
    const browser = new Browser()
    const session = makeSession(NOW)
    expect(await save(browser, store, session)).toBe(true)
    expect(session.version).toBe(1)
    expect(await load(browser, store)).toEqual({ session: { ...makeSession(NOW), version: 1 } })
  })

  it('returns a copy: mutating a loaded session does not change the store', async () => {
    const store = memoryStore()
    const browser = new Browser()
    await save(browser, store, makeSession(NOW))
    const first = await load(browser, store)
    if (!first.session) throw new Error('no session')
    first.session.tokens.accessToken = 'mutated'
    const second = await load(browser, store)
    expect(second.session?.tokens.accessToken).toBe('access-token')
  })

  it('keeps the ticket across saves of a loaded session', async () => {
    const store = memoryStore()
    const browser = new Browser()
    await save(browser, store, makeSession(NOW))
    const ticket = browser.cookies.get('sess')
    const loaded = await load(browser, store)
    if (!loaded.session) throw new Error('no session')
    loaded.session.tokens = { ...loaded.session.tokens, accessToken: 'new-access' }
    expect(await save(browser, store, loaded.session)).toBe(true)
    expect(browser.cookies.get('sess')).toBe(ticket)
    expect((await load(browser, store)).session).toMatchObject({
      version: 2,
      tokens: { accessToken: 'new-access' },
    })
    expect(store.size).toBe(1)
  })

  it('compare-and-set: of two loads of one version, the first save wins', async () => {
    const store = memoryStore()
    const browser = new Browser()
    await save(browser, store, makeSession(NOW))
    const a = await load(browser, store)
    const b = await load(browser, store)
    if (!a.session || !b.session) throw new Error('no session')
    a.session.tokens = { ...a.session.tokens, accessToken: 'from-a' }
    b.session.tokens = { ...b.session.tokens, accessToken: 'from-b' }

    const jarA = browser.jar()
    expect(await store.save(context(jarA, NOW), a.session)).toBe(true)
    const jarB = browser.jar()
    expect(await store.save(context(jarB, NOW), b.session)).toBe(false)
    // The loser writes nothing: no cookie, no version bump, the winner's data stays.
    expect(jarB.setCookieLines()).toEqual([])
    expect(b.session.version).toBe(1)
    expect((await load(browser, store)).session).toMatchObject({
      version: 2,
      tokens: { accessToken: 'from-a' },
    })
  })

  it('compare-and-set: the winner can save again, a reload of the loser can too', async () => {
    const store = memoryStore()
    const browser = new Browser()
    await save(browser, store, makeSession(NOW))
    const a = await load(browser, store)
    const b = await load(browser, store)
    if (!a.session || !b.session) throw new Error('no session')
    expect(await save(browser, store, a.session)).toBe(true)
    expect(await save(browser, store, a.session)).toBe(true)
    expect(await save(browser, store, b.session)).toBe(false)
    const reloaded = await load(browser, store)
    if (!reloaded.session) throw new Error('no session')
    expect(reloaded.session.version).toBe(3)
    expect(await save(browser, store, reloaded.session)).toBe(true)
  })

  it('destroy leaves a tombstone: load says revoked and an in-flight save loses', async () => {
    const store = memoryStore()
    const browser = new Browser()
    await save(browser, store, makeSession(NOW))
    const inFlight = await load(browser, store)
    const toLogOut = await load(browser, store)
    if (!inFlight.session || !toLogOut.session) throw new Error('no session')

    const logoutJar = browser.jar()
    const ticketBefore = browser.cookies.get('sess') ?? ''
    await store.destroy(context(logoutJar, NOW), toLogOut.session)
    expect(logoutJar.setCookieLines()).toEqual([
      'sess=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
    ])
    expect(store.size).toBe(0)

    // A request that loaded before the logout cannot bring the session back.
    const lateJar = new CookieJar(`sess=${ticketBefore}`)
    expect(await store.save(context(lateJar, NOW + 1), inFlight.session)).toBe(false)
    expect(lateJar.setCookieLines()).toEqual([])
    expect(await store.load(context(new CookieJar(`sess=${ticketBefore}`), NOW + 2))).toEqual({
      session: null,
      reason: 'revoked',
    })
  })

  it('the tombstone outlives tombstoneSeconds only as "expired", never as a live session', async () => {
    const store = memoryStore({ tombstoneSeconds: 10 })
    const browser = new Browser()
    await save(browser, store, makeSession(NOW, { expiresAt: NOW + 100_000 }))
    const inFlight = await load(browser, store)
    if (!inFlight.session) throw new Error('no session')
    const cookie = `sess=${browser.cookies.get('sess') ?? ''}`
    await store.destroy(context(new CookieJar(cookie), NOW), null)
    expect((await store.load(context(new CookieJar(cookie), NOW + 9))).reason).toBe('revoked')
    expect((await store.load(context(new CookieJar(cookie), NOW + 10))).reason).toBe('expired')
    // Even after the tombstone is gone (swept by another save), the late save still loses.
    await store.save(context(new CookieJar(undefined), NOW + 20), makeSession(NOW, { id: 'other' }))
    expect(await store.save(context(new CookieJar(cookie), NOW + 21), inFlight.session)).toBe(false)
  })

  it('destroy by ticket cookie works without a session object, and is idempotent', async () => {
    const store = memoryStore()
    const browser = new Browser()
    await save(browser, store, makeSession(NOW))
    const jar = browser.jar()
    await store.destroy(context(jar, NOW), null)
    await store.destroy(context(jar, NOW), null)
    expect((await load(browser, store)).reason).toBe('revoked')
    browser.receive(jar.setCookieLines())
    expect(browser.names()).toEqual([])
    expect((await load(browser, store)).reason).toBe('none')
  })

  it('destroy without any cookie sets no cookie', async () => {
    const store = memoryStore()
    const jar = new CookieJar(undefined)
    await store.destroy(context(jar, NOW), null)
    expect(jar.setCookieLines()).toEqual([])
  })

  it('answers none, tampered and expired for missing, garbage and unknown tickets', async () => {
    const store = memoryStore()
    expect(await store.load(context(new CookieJar(undefined), NOW))).toEqual({
      session: null,
      reason: 'none',
    })
    expect(await store.load(context(new CookieJar('sess='), NOW))).toEqual({
      session: null,
      reason: 'none',
    })
    for (const garbage of ['garbage', 'A'.repeat(42), 'A'.repeat(44), `${'A'.repeat(42)}!`]) {
      expect(await store.load(context(new CookieJar(`sess=${garbage}`), NOW))).toEqual({
        session: null,
        reason: 'tampered',
      })
    }
    expect(await store.load(context(new CookieJar(`sess=${'A'.repeat(43)}`), NOW))).toEqual({
      session: null,
      reason: 'expired',
    })
  })

  it('answers expired from the session expiry on', async () => {
    const store = memoryStore()
    const browser = new Browser()
    await save(browser, store, makeSession(NOW, { expiresAt: NOW + 60 }))
    expect((await load(browser, store, NOW + 59)).session).not.toBeNull()
    expect(await load(browser, store, NOW + 60)).toEqual({ session: null, reason: 'expired' })
  })

  it('a saved cookie never outlives the session (Max-Age from the absolute expiry)', async () => {
    const store = memoryStore()
    const jar = new CookieJar(undefined)
    await store.save(context(jar, NOW + 3000), makeSession(NOW, { expiresAt: NOW + 3600 }))
    expect(jar.setCookieLines()[0]).toContain('Max-Age=600;')
  })

  it('finds sessions by sub and by sid, and forgets destroyed ones', async () => {
    const store = memoryStore()
    const alice1 = new Browser()
    const alice2 = new Browser()
    const bob = new Browser()
    await save(alice1, store, makeSession(NOW, { id: 'a1', sub: 'alice', sid: 'sid-1' }))
    await save(alice2, store, makeSession(NOW, { id: 'a2', sub: 'alice', sid: 'sid-2' }))
    await save(bob, store, makeSession(NOW, { id: 'b1', sub: 'bob', sid: 'sid-1' }))
    const t = (b: Browser) => b.cookies.get('sess') ?? ''

    expect((await store.findBySub('alice')).sort()).toEqual([t(alice1), t(alice2)].sort())
    expect(await store.findBySub('bob')).toEqual([t(bob)])
    expect(await store.findBySub('carol')).toEqual([])
    expect((await store.findBySid('sid-1')).sort()).toEqual([t(alice1), t(bob)].sort())
    expect(await store.findBySid('sid-2')).toEqual([t(alice2)])
    expect(await store.findBySid('nope')).toEqual([])

    for (const ticket of await store.findBySub('alice')) store.destroyTicket(ticket, NOW)
    expect(await store.findBySub('alice')).toEqual([])
    expect((await load(alice1, store)).reason).toBe('revoked')
    expect((await load(alice2, store)).reason).toBe('revoked')
    expect((await load(bob, store)).session?.sub).toBe('bob')
    expect(store.size).toBe(1)
  })

  it('a session without sid is never found by sid', async () => {
    const store = memoryStore()
    await save(new Browser(), store, without(makeSession(NOW), 'sid'))
    expect(await store.findBySid('sid-abc')).toEqual([])
    expect(await store.findBySub('user-123')).toHaveLength(1)
  })

  it('drops the least recently written sessions past maxSessions', async () => {
    const store = memoryStore({ maxSessions: 2 })
    const browsers = [new Browser(), new Browser(), new Browser()]
    for (const [i, browser] of browsers.entries()) {
      await save(browser, store, makeSession(NOW, { id: `s${i}` }))
    }
    expect(store.size).toBe(2)
    expect((await load(browsers[0] ?? new Browser(), store)).reason).toBe('expired')
    expect((await load(browsers[2] ?? new Browser(), store)).session?.id).toBe('s2')
  })
})
