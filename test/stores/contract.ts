/**
 * The one `SessionStore` contract suite, run against every store (memory, cookie, Redis with
 * ioredis and node-redis, Redis Cluster): `describeStoreContract(name, factory, kind)`.
 *
 * Time is injected through `StoreContext.now` (a fixed epoch); the cases that only make sense for
 * stateful stores (compare-and-set, tombstones, back-channel lookups) run for `kind: 'stateful'`.
 */
import { describe, expect, it } from 'vitest'
import { CookieJar } from '../../src/request/cookie-jar.js'
import type { Session } from '../../src/session/session.js'
import {
  isStatefulStore,
  type LoadFailure,
  type SessionStore,
  type StoreContext,
} from '../../src/stores/types.js'
import { Browser, context, makeSession } from '../fixtures/store-helpers.js'

export const NOW = 1_700_000_000
const NAME = 'sess'

/** Save from a request carrying the browser's cookies, then deliver the response to it. */
export async function saveIn(
  browser: Browser,
  store: SessionStore,
  session: Session,
  now = NOW,
): Promise<boolean> {
  const jar = browser.jar()
  const saved = await store.save(context(jar, now, NAME), session)
  browser.receive(jar.setCookieLines())
  return saved
}

/** Load with the browser's cookies. */
export function loadIn(browser: Browser, store: SessionStore, now = NOW) {
  return store.load(context(browser.jar(), now, NAME))
}

/** Destroy with the browser's cookies (and the session when given), delivering the response. */
export async function destroyIn(
  browser: Browser,
  store: SessionStore,
  session: Session | null,
  now = NOW,
): Promise<string[]> {
  const jar = browser.jar()
  await store.destroy(context(jar, now, NAME), session)
  const lines = jar.setCookieLines()
  browser.receive(lines)
  return lines
}

/** A context for a request with exactly this `Cookie` header. */
export function contextFor(cookieHeader: string | undefined, now = NOW): StoreContext {
  return context(new CookieJar(cookieHeader), now, NAME)
}

const FAILURES: readonly LoadFailure[] = ['none', 'tampered', 'incomplete', 'expired', 'revoked']

/** A logged-in browser and the session it holds. */
async function loggedIn(
  store: SessionStore,
  overrides: Parameters<typeof makeSession>[1] = {},
): Promise<Browser> {
  const browser = new Browser()
  expect(await saveIn(browser, store, makeSession(NOW, overrides))).toBe(true)
  return browser
}

/**
 * Register the contract cases for one store.
 *
 * @param name label of the store under test
 * @param factory a fresh, empty store for each case (isolated from the other cases)
 * @param kind `stateful` adds compare-and-set, tombstone and back-channel lookup cases
 */
export function describeStoreContract(
  name: string,
  factory: () => SessionStore | Promise<SessionStore>,
  kind: 'stateful' | 'stateless' = 'stateful',
): void {
  describe(`SessionStore contract: ${name}`, () => {
    it('round trip: what is saved loads back whole, with the bumped version', async () => {
      const store = await factory()
      const browser = new Browser()
      const session = makeSession(NOW, { id: 'round-trip' })
      expect(await saveIn(browser, store, session)).toBe(true)
      expect(session.version).toBe(1)
      expect(browser.names().length).toBeGreaterThan(0)
      const loaded = await loadIn(browser, store, NOW + 1)
      expect(loaded.reason).toBeUndefined()
      expect(loaded.session).toEqual({ ...makeSession(NOW, { id: 'round-trip' }), version: 1 })
    })

    it('a session without sid or optional tokens round-trips too', async () => {
      const store = await factory()
      const browser = new Browser()
      const session: Session = {
        id: 'minimal',
        version: 0,
        createdAt: NOW,
        expiresAt: NOW + 600,
        sub: 'minimal-user',
        tokens: { accessToken: 'at', tokenType: 'Bearer' },
      }
      expect(await saveIn(browser, store, session)).toBe(true)
      expect((await loadIn(browser, store)).session).toEqual({ ...session, version: 1 })
    })

    it('every save bumps the version, and the next load sees it', async () => {
      const store = await factory()
      const browser = await loggedIn(store)
      for (const expected of [2, 3]) {
        const loaded = await loadIn(browser, store)
        if (!loaded.session) throw new Error(`no session: ${loaded.reason}`)
        loaded.session.tokens = { ...loaded.session.tokens, accessToken: `at-${expected}` }
        expect(await saveIn(browser, store, loaded.session)).toBe(true)
        expect(loaded.session.version).toBe(expected)
        const again = await loadIn(browser, store)
        expect(again.session?.version).toBe(expected)
        expect(again.session?.tokens.accessToken).toBe(`at-${expected}`)
      }
    })

    it('a new login gets a new cookie value, never the one the request carried (no fixation)', async () => {
      const store = await factory()
      // The attacker's own valid session cookie, planted in the victim's browser.
      const attacker = await loggedIn(store, { id: 'attacker', sub: 'mallory' })
      const victim = new Browser()
      for (const [cookieName, value] of attacker.cookies) victim.cookies.set(cookieName, value)
      const planted = new Map(victim.cookies)
      expect(await saveIn(victim, store, makeSession(NOW, { id: 'victim', sub: 'alice' }))).toBe(
        true,
      )
      expect(victim.cookies.get(NAME)).toBeDefined()
      expect(victim.cookies.get(NAME)).not.toBe(planted.get(NAME))
      expect((await loadIn(victim, store)).session?.sub).toBe('alice')
      // The attacker's cookie still opens only the attacker's session.
      expect((await loadIn(attacker, store)).session?.sub).toBe('mallory')
    })

    it('destroy is idempotent and expires the cookie; no cookie, no Set-Cookie', async () => {
      const store = await factory()
      const browser = await loggedIn(store)
      const cookieBefore = browser.header()
      const loaded = await loadIn(browser, store)
      const first = await destroyIn(browser, store, loaded.session)
      expect(first.length).toBeGreaterThan(0)
      expect(first.every((line) => /Max-Age=0/.test(line))).toBe(true)
      expect(browser.names()).toEqual([])
      // Again with the old cookie and no session object, and with no cookie at all.
      await store.destroy(contextFor(cookieBefore), null)
      await store.destroy(contextFor(cookieBefore), loaded.session)
      const empty = contextFor(undefined)
      await store.destroy(empty, null)
      expect(empty.jar.setCookieLines()).toEqual([])
      expect((await loadIn(browser, store)).reason).toBe('none')
      // A stateless cookie is its own session (replay is the cookie store's known limit); a
      // stateful store refuses the old ticket.
      if (kind === 'stateful')
        expect(await store.load(contextFor(cookieBefore))).toEqual({
          session: null,
          reason: 'revoked',
        })
    })

    it('a session past its absolute lifetime loads as expired', async () => {
      const store = await factory()
      const browser = await loggedIn(store, { expiresAt: NOW + 60 })
      expect((await loadIn(browser, store, NOW + 59)).session).not.toBeNull()
      expect(await loadIn(browser, store, NOW + 60)).toEqual({ session: null, reason: 'expired' })
      expect(await loadIn(browser, store, NOW + 10_000)).toEqual({
        session: null,
        reason: 'expired',
      })
    })

    it('no cookie gives none; garbage, forged and altered cookies a typed reason, never a throw', async () => {
      const store = await factory()
      expect(await store.load(contextFor(undefined))).toEqual({ session: null, reason: 'none' })
      expect(await store.load(contextFor(`${NAME}=`))).toEqual({ session: null, reason: 'none' })
      const browser = await loggedIn(store)
      const valid = browser.cookies.get(NAME) ?? browser.cookies.get(`${NAME}.0`) ?? ''
      expect(valid.length).toBeGreaterThan(0)
      const flip = (s: string, i: number) =>
        `${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`
      const inputs = [
        'garbage',
        'A'.repeat(43),
        `${'A'.repeat(22)}.${'A'.repeat(43)}`,
        `${'A'.repeat(22)}.${'A'.repeat(42)}!`,
        'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.',
        '%00%ff',
        valid.slice(0, -1),
        `${valid}A`,
        flip(valid, 0),
        flip(valid, Math.floor(valid.length / 2)),
        flip(valid, valid.length - 2),
      ]
      for (const input of inputs) {
        const result = await store.load(contextFor(`${NAME}=${input}`))
        expect(result.session, input).toBeNull()
        expect(FAILURES).toContain(result.reason)
        expect(result.reason).not.toBe('revoked')
      }
      // The genuine cookie still works after all that.
      expect((await loadIn(browser, store)).session?.sub).toBe('user-123')
    })

    it(`is ${kind}${kind === 'stateful' ? ' and offers the back-channel lookups' : ''}`, async () => {
      const store = await factory()
      expect(store.stateful).toBe(kind === 'stateful')
      expect(isStatefulStore(store)).toBe(kind === 'stateful')
    })

    if (kind === 'stateless') {
      it('stateless: every save succeeds and rewrites the cookies', async () => {
        const store = await factory()
        const browser = await loggedIn(store)
        const a = await loadIn(browser, store)
        const b = await loadIn(browser, store)
        if (!a.session || !b.session) throw new Error('no session')
        const before = browser.header()
        expect(await saveIn(browser, store, a.session)).toBe(true)
        expect(await saveIn(browser, store, b.session)).toBe(true)
        expect(browser.header()).not.toBe(before)
      })
      return
    }

    it('the cookie holds only an opaque ticket: nothing of the session is in it', async () => {
      const store = await factory()
      const browser = await loggedIn(store)
      const values = [...browser.cookies.values()].join(';')
      for (const part of ['user-123', 'sid-abc', 'access-token', 'refresh-token', 'id-token']) {
        expect(values).not.toContain(part)
      }
      expect(values.length).toBeLessThan(100)
    })

    it('compare-and-set: of two requests that loaded the same version, the first save wins', async () => {
      const store = await factory()
      const browser = await loggedIn(store)
      const a = await loadIn(browser, store)
      const b = await loadIn(browser, store)
      if (!a.session || !b.session) throw new Error('no session')
      a.session.tokens = { ...a.session.tokens, accessToken: 'from-a' }
      b.session.tokens = { ...b.session.tokens, accessToken: 'from-b' }
      expect(await saveIn(browser, store, a.session)).toBe(true)
      const jarB = browser.jar()
      expect(await store.save(context(jarB, NOW, NAME), b.session)).toBe(false)
      expect(jarB.setCookieLines()).toEqual([])
      expect(b.session.version).toBe(1) // the loser's object is untouched
      const after = await loadIn(browser, store)
      expect(after.session?.tokens.accessToken).toBe('from-a')
      expect(after.session?.version).toBe(2)
      // The loser can reload and then win.
      const c = await loadIn(browser, store)
      if (!c.session) throw new Error('no session')
      expect(await saveIn(browser, store, c.session)).toBe(true)
      expect(c.session.version).toBe(3)
    })

    it('compare-and-set is atomic: of ten concurrent saves of one version, exactly one wins', async () => {
      const store = await factory()
      const browser = await loggedIn(store)
      const loads = await Promise.all(Array.from({ length: 10 }, () => loadIn(browser, store)))
      const sessions = loads.map((loaded, i) => {
        if (!loaded.session) throw new Error('no session')
        loaded.session.tokens = { ...loaded.session.tokens, accessToken: `concurrent-${i}` }
        return loaded.session
      })
      const results = await Promise.all(
        sessions.map((session) => store.save(context(browser.jar(), NOW, NAME), session)),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      const winner = results.indexOf(true)
      const after = await loadIn(browser, store)
      expect(after.session?.version).toBe(2)
      expect(after.session?.tokens.accessToken).toBe(`concurrent-${winner}`)
    })

    it('a tombstone: a request that loaded before the destroy cannot write the session back', async () => {
      const store = await factory()
      const browser = await loggedIn(store)
      const cookie = browser.header()
      const inFlight = await loadIn(browser, store)
      if (!inFlight.session) throw new Error('no session')
      await destroyIn(browser, store, null)
      await store.destroy(contextFor(cookie), null) // idempotent
      const lateJar = new CookieJar(cookie)
      inFlight.session.tokens = { ...inFlight.session.tokens, accessToken: 'resurrected' }
      expect(await store.save(context(lateJar, NOW + 1, NAME), inFlight.session)).toBe(false)
      expect(lateJar.setCookieLines()).toEqual([])
      expect(await store.load(contextFor(cookie, NOW + 2))).toEqual({
        session: null,
        reason: 'revoked',
      })
    })

    it('an unknown (well-formed, never issued) ticket loads as expired', async () => {
      const store = await factory()
      const browser = await loggedIn(store)
      await destroyIn(browser, store, null)
      const other = await loggedIn(store, { id: 'other' })
      const ticket = other.cookies.get(NAME) ?? ''
      // Same shape, different random characters.
      const unknown = ticket.replace(/[A-Za-z0-9]/g, (c) => (c === 'x' ? 'y' : 'x'))
      expect(unknown).not.toBe(ticket)
      const result = await store.load(contextFor(`${NAME}=${unknown}`))
      expect(result.session).toBeNull()
      expect(['expired', 'tampered']).toContain(result.reason)
    })

    it('finds sessions by sub and by sid, and destroys them (back-channel logout)', async () => {
      const store = await factory()
      if (!isStatefulStore(store)) throw new Error('not a stateful store')
      const alice1 = await loggedIn(store, { id: 'a1', sub: 'alice', sid: 'sid-1' })
      const alice2 = await loggedIn(store, { id: 'a2', sub: 'alice', sid: 'sid-2' })
      const bob = await loggedIn(store, { id: 'b1', sub: 'bob', sid: 'sid-1' })
      const carol = await loggedIn(store, { id: 'c1', sub: 'carol', sid: 'sid-3' })

      expect(await store.findBySub('alice')).toHaveLength(2)
      expect(await store.findBySub('bob')).toHaveLength(1)
      expect(await store.findBySub('nobody')).toEqual([])
      expect(await store.findBySid('sid-1')).toHaveLength(2)
      expect(await store.findBySid('sid-2')).toHaveLength(1)
      expect(await store.findBySid('nope')).toEqual([])
      const aliceHandles = await store.findBySub('alice')
      const sid2 = await store.findBySid('sid-2')
      expect(aliceHandles).toContain(sid2[0])

      const inFlight = await loadIn(alice1, store)
      if (!inFlight.session) throw new Error('no session')
      expect(await store.destroyBySub('alice', NOW)).toBe(2)
      expect(await store.destroyBySub('alice', NOW)).toBe(0) // idempotent
      expect((await loadIn(alice1, store)).reason).toBe('revoked')
      expect((await loadIn(alice2, store)).reason).toBe('revoked')
      expect(await store.save(context(alice1.jar(), NOW, NAME), inFlight.session)).toBe(false)
      expect(await store.findBySub('alice')).toEqual([])
      expect(await store.findBySid('sid-2')).toEqual([])
      expect(await store.findBySid('sid-1')).toHaveLength(1) // bob's

      expect(await store.destroyBySid('sid-1', NOW)).toBe(1)
      expect((await loadIn(bob, store)).reason).toBe('revoked')
      expect(await store.findBySub('bob')).toEqual([])
      expect((await loadIn(carol, store)).session?.sub).toBe('carol')
      expect(await store.findBySub('carol')).toHaveLength(1)
    })

    it('destroying one session by its cookie removes it from the indexes', async () => {
      const store = await factory()
      if (!isStatefulStore(store)) throw new Error('not a stateful store')
      const browser = await loggedIn(store, { sub: 'dave', sid: 'sid-dave' })
      await loggedIn(store, { id: 'dave-2', sub: 'dave', sid: 'sid-dave-2' })
      const loaded = await loadIn(browser, store)
      await destroyIn(browser, store, loaded.session)
      expect(await store.findBySub('dave')).toHaveLength(1)
      expect(await store.findBySid('sid-dave')).toEqual([])
    })
  })
}
