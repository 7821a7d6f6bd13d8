import { afterEach, describe, expect, it, vi } from 'vitest'
import { CookieTooLargeError } from '../../../src/errors.js'
import { CookieJar } from '../../../src/request/cookie-jar.js'
import type { Session } from '../../../src/session/session.js'
import { cookieStore } from '../../../src/stores/cookie/index.js'
import { Browser, context, makeSession, noise } from '../../fixtures/store-helpers.js'

const OLD = 'o'.repeat(32)
const NEW = 'n'.repeat(32)
const NOW = 1_700_000_000

/** A session whose id_token alone is `size` characters. */
function bigSession(size = 12_000, seed = 7): Session {
  return makeSession(NOW, { tokens: { idToken: noise(size, seed) } })
}

/** Save `session` from a request carrying `browser`'s cookies, deliver the response to it. */
async function saveInto(
  browser: Browser,
  store: ReturnType<typeof cookieStore>,
  session: Session,
  now = NOW,
): Promise<string[]> {
  const jar = browser.jar()
  expect(await store.save(context(jar, now), session)).toBe(true)
  const lines = jar.setCookieLines()
  browser.receive(lines)
  return lines
}

const chunkNames = (browser: Browser) => browser.names().filter((n) => /^sess\.\d+$/.test(n))

afterEach(() => {
  vi.restoreAllMocks()
})

describe('cookieStore: small sessions', () => {
  it('stores a small session in one cookie named after the context', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const browser = new Browser()
    const lines = await saveInto(browser, store, makeSession(NOW))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^sess=[A-Za-z0-9_.-]+; /)
    expect(browser.names()).toEqual(['sess'])
  })

  it('sets the context attributes and a Max-Age reaching the absolute expiry', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const jar = new CookieJar(undefined)
    await store.save(context(jar, NOW + 100), makeSession(NOW, { expiresAt: NOW + 3600 }))
    const [line = ''] = jar.setCookieLines()
    expect(line).toContain('; Max-Age=3500')
    expect(line).toContain('; Path=/')
    expect(line).toContain('; HttpOnly')
    expect(line).toContain('; Secure')
    expect(line).toContain('; SameSite=Lax')
  })

  it('keeps no token in clear in the cookie', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const jar = new CookieJar(undefined)
    const session = makeSession(NOW, {
      tokens: { accessToken: 'ACCESS-MARKER', refreshToken: 'REFRESH-MARKER' },
    })
    await store.save(context(jar, NOW), session)
    const all = jar.setCookieLines().join('\n')
    expect(all).not.toContain('ACCESS-MARKER')
    expect(all).not.toContain('REFRESH-MARKER')
    expect(all).not.toContain('user-123')
  })

  it('loads back what it saved, with the bumped version', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const browser = new Browser()
    const session = makeSession(NOW)
    await saveInto(browser, store, session)
    expect(session.version).toBe(1)
    const loaded = await store.load(context(browser.jar(), NOW + 10))
    expect(loaded).toEqual({ session: { ...makeSession(NOW), version: 1 } })
  })

  it('bumps the version at every save', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const browser = new Browser()
    const session = makeSession(NOW, { version: 41 })
    await saveInto(browser, store, session)
    await saveInto(browser, store, session)
    expect(session.version).toBe(43)
    const loaded = await store.load(context(browser.jar(), NOW))
    expect(loaded.session?.version).toBe(43)
  })

  it('round-trips a session without the optional fields', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const browser = new Browser()
    const session: Session = {
      id: 'x',
      version: 0,
      createdAt: NOW,
      expiresAt: NOW + 60,
      sub: 's',
      tokens: { accessToken: 'a', tokenType: 'Bearer' },
    }
    await saveInto(browser, store, session)
    const loaded = await store.load(context(browser.jar(), NOW))
    expect(loaded.session).toEqual({ ...session, version: 1 })
    expect(loaded.session && 'sid' in loaded.session).toBe(false)
  })

  it('answers none without cookies, or with an empty session cookie', async () => {
    const store = cookieStore({ secrets: [NEW] })
    expect(await store.load(context(new CookieJar(undefined), NOW))).toEqual({
      session: null,
      reason: 'none',
    })
    expect(await store.load(context(new CookieJar('other=1; sess='), NOW))).toEqual({
      session: null,
      reason: 'none',
    })
  })

  it('answers tampered for a garbage or foreign session cookie', async () => {
    const store = cookieStore({ secrets: [NEW] })
    for (const value of ['garbage', 'a.b.c.d.e', 'eyJhbGciOiJub25lIn0..x.y.z', '%00%FF']) {
      expect(await store.load(context(new CookieJar(`sess=${value}`), NOW))).toEqual({
        session: null,
        reason: 'tampered',
      })
    }
  })

  it('opens a new cookie once for concurrent requests, each getting its own copy', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const browser = new Browser()
    await saveInto(browser, store, makeSession(NOW))
    const sealed = browser.cookies.get('sess') ?? ''
    const results = await Promise.all([
      ...Array.from({ length: 20 }, () => store.load(context(browser.jar(), NOW))),
      // The same tag with other bytes, in the same burst: refused, and refuses nobody else.
      store.load(context(new CookieJar(`sess=A${sealed.slice(1)}`), NOW)),
    ])
    const tampered = results.pop()
    expect(tampered).toEqual({ session: null, reason: 'tampered' })
    const sessions = results.map((r) => r.session)
    expect(new Set(sessions).size).toBe(20)
    for (const session of sessions) expect(session).toEqual(sessions[0])
    expect(sessions[0]?.id).toBe(makeSession(NOW).id)
  })

  it('seals a burst of identical saves once, and any changed field anew', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const saved = async (session: Session) => {
      const browser = new Browser()
      await saveInto(browser, store, session)
      return browser.cookies.get('sess') ?? ''
    }
    const base = makeSession(NOW)
    const first = await saved({ ...base, tokens: { ...base.tokens } })
    expect(await saved({ ...base, tokens: { ...base.tokens } })).toBe(first)
    const changes: Session[] = [
      { ...base, tokens: { ...base.tokens, accessToken: `${base.tokens.accessToken}x` } },
      { ...base, tokens: { ...base.tokens, expiresAt: (base.tokens.expiresAt ?? 0) + 1 } },
      { ...base, tokens: { ...base.tokens, scope: 'openid other' } },
      { ...base, sid: 'another-sid' },
      { ...base, version: base.version + 1 },
      { ...base, expiresAt: base.expiresAt - 1 },
      // Fields added after the burst check was written: each must count as a change.
      { ...base, lastSeenAt: NOW + 1 },
      { ...base, acr: 'urn:example:mfa' },
      { ...base, authTime: Math.floor(NOW / 1000) },
      { ...base, userAgent: 'Mozilla/5.0' },
      { ...base, data: { theme: 'dark' } },
    ]
    for (const changed of changes) {
      const expected = { ...changed, version: changed.version + 1 } // save bumps it in place
      const value = await saved(changed)
      expect(value).not.toBe(first)
      const loaded = await store.load(context(new CookieJar(`sess=${value}`), NOW))
      expect(loaded.session).toEqual(expected)
    }
    // App data changed in place between two saves of the same object: sealed anew, never stale.
    const data = { theme: 'dark' }
    const before = await saved({ ...base, data, tokens: { ...base.tokens } })
    data.theme = 'light'
    const after = await saved({ ...base, data, tokens: { ...base.tokens } })
    expect(after).not.toBe(before)
    const reloaded = await store.load(context(new CookieJar(`sess=${after}`), NOW))
    expect(reloaded.session?.data).toEqual({ theme: 'light' })
  })

  it('serves a cached session only for the very same cookie, not one that shares its tag', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const browser = new Browser()
    await saveInto(browser, store, makeSession(NOW))
    const sealed = browser.cookies.get('sess') ?? ''
    expect((await store.load(context(browser.jar(), NOW))).session).not.toBeNull() // now cached
    // Same last 22 characters (the GCM tag, the cache's key), one ciphertext character changed.
    const segments = sealed.split('.')
    const ciphertext = segments[3] ?? ''
    const flipped = ciphertext[0] === 'A' ? 'B' : 'A'
    segments[3] = flipped + ciphertext.slice(1)
    const twin = segments.join('.')
    expect(twin.slice(-22)).toBe(sealed.slice(-22))
    expect(await store.load(context(new CookieJar(`sess=${twin}`), NOW))).toEqual({
      session: null,
      reason: 'tampered',
    })
    expect((await store.load(context(browser.jar(), NOW))).session).not.toBeNull()
  })

  it('answers tampered for a sealed value that is not a session', async () => {
    // Same secret, same purpose, but a payload decodeSession refuses.
    const { createSealer } = await import('../../../src/session/codec.js')
    const sealer = createSealer([NEW], 'session')
    const store = cookieStore({ secrets: [NEW] })
    for (const value of [{ i: 'x' }, 'string', [1, 2], { ...{ i: 'x', v: '1' } }]) {
      const sealed = await sealer.seal(value, NOW + 60)
      expect(await store.load(context(new CookieJar(`sess=${sealed}`), NOW))).toEqual({
        session: null,
        reason: 'tampered',
      })
    }
  })

  it('refuses invalid secrets at construction', () => {
    expect(() => cookieStore({ secrets: 'short' })).toThrow(TypeError)
    expect(() => cookieStore({ secrets: [] })).toThrow(TypeError)
  })
})

describe('cookieStore: chunking', () => {
  const roomy = { secrets: [NEW], maxTotalBytes: 1_000_000 }

  it('splits a big session into sess.0..N lines of at most 4050 bytes and loads it back', async () => {
    const store = cookieStore(roomy)
    const browser = new Browser()
    const session = bigSession()
    const lines = await saveInto(browser, store, session)
    expect(lines.length).toBeGreaterThan(3)
    for (const line of lines)
      expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(4050)
    const names = chunkNames(browser)
    expect(names).toHaveLength(lines.length)
    expect(new Set(names)).toEqual(new Set(lines.map((_, i) => `sess.${i}`)))
    expect(browser.cookies.has('sess')).toBe(false)
    const loaded = await store.load(context(browser.jar(), NOW))
    expect(loaded).toEqual({ session: { ...bigSession(), version: 1 } })
  })

  it('honours a smaller maxCookieBytes', async () => {
    const store = cookieStore({ ...roomy, maxCookieBytes: 1000 })
    const browser = new Browser()
    const lines = await saveInto(browser, store, bigSession(4000))
    expect(lines.length).toBeGreaterThan(4)
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(1000)
    expect((await store.load(context(browser.jar(), NOW))).session?.tokens.idToken).toBe(
      noise(4000, 7),
    )
  })

  it('expires every old chunk when the session shrinks back to one cookie', async () => {
    const store = cookieStore(roomy)
    const browser = new Browser()
    await saveInto(browser, store, bigSession())
    const before = chunkNames(browser)
    expect(before.length).toBeGreaterThan(1)

    const jar = browser.jar()
    await store.save(context(jar, NOW), makeSession(NOW))
    const lines = jar.setCookieLines()
    for (const name of before) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${name}=; Max-Age=0`)))
    }
    browser.receive(lines)
    expect(browser.names()).toEqual(['sess'])
    expect((await store.load(context(browser.jar(), NOW))).session?.tokens.idToken).toBe('id-token')
  })

  it('expires the single cookie when the session grows into chunks', async () => {
    const store = cookieStore(roomy)
    const browser = new Browser()
    await saveInto(browser, store, makeSession(NOW))
    expect(browser.names()).toEqual(['sess'])
    const lines = await saveInto(browser, store, bigSession())
    expect(lines).toContainEqual(expect.stringMatching(/^sess=; Max-Age=0/))
    expect(browser.cookies.has('sess')).toBe(false)
    expect(chunkNames(browser).length).toBeGreaterThan(1)
    expect((await store.load(context(browser.jar(), NOW))).session?.tokens.idToken).toBe(
      bigSession().tokens.idToken,
    )
  })

  it('expires the chunks a shrinking chunked session no longer uses', async () => {
    const store = cookieStore(roomy)
    const browser = new Browser()
    await saveInto(browser, store, bigSession(16_000))
    const many = chunkNames(browser).length
    await saveInto(browser, store, bigSession(6_000))
    const few = chunkNames(browser).length
    expect(few).toBeLessThan(many)
    // Only sess.0..few-1 remain: no stale tail would turn the next load into "incomplete".
    expect(chunkNames(browser).sort()).toEqual(
      Array.from({ length: few }, (_, i) => `sess.${i}`).sort(),
    )
    expect((await store.load(context(browser.jar(), NOW))).session?.tokens.idToken).toBe(
      noise(6_000, 7),
    )
  })

  it('leaves cookies of other names alone', async () => {
    const store = cookieStore(roomy)
    const browser = new Browser()
    browser.cookies.set('sessx', 'keep')
    browser.cookies.set('sess.x', 'keep')
    browser.cookies.set('other', 'keep')
    await saveInto(browser, store, bigSession())
    await saveInto(browser, store, makeSession(NOW))
    const jar = browser.jar()
    await store.destroy(context(jar, NOW), null)
    browser.receive(jar.setCookieLines())
    expect(browser.names()).toEqual(['other', 'sess.x', 'sessx'])
  })

  describe('damaged chunk sets never throw', () => {
    async function chunked(): Promise<{ store: ReturnType<typeof cookieStore>; browser: Browser }> {
      const store = cookieStore(roomy)
      const browser = new Browser()
      await saveInto(browser, store, bigSession())
      expect(chunkNames(browser).length).toBeGreaterThanOrEqual(4)
      return { store, browser }
    }

    it('answers incomplete for a missing middle or last chunk', async () => {
      const { store, browser } = await chunked()
      const count = chunkNames(browser).length
      for (const missing of [1, count - 1]) {
        const copy = new Browser()
        for (const [name, value] of browser.cookies) copy.cookies.set(name, value)
        copy.cookies.delete(`sess.${missing}`)
        expect(await store.load(context(copy.jar(), NOW))).toEqual({
          session: null,
          reason: 'incomplete',
        })
      }
    })

    it('answers with no session when the first chunk is missing', async () => {
      const { store, browser } = await chunked()
      browser.cookies.delete('sess.0')
      const loaded = await store.load(context(browser.jar(), NOW))
      expect(loaded.session).toBeNull()
    })

    it('answers incomplete for an extra chunk past the announced count', async () => {
      const { store, browser } = await chunked()
      const count = chunkNames(browser).length
      browser.cookies.set(`sess.${count}`, 'extra')
      expect(await store.load(context(browser.jar(), NOW))).toEqual({
        session: null,
        reason: 'incomplete',
      })
    })

    it('answers incomplete or tampered for swapped chunks', async () => {
      const { store, browser } = await chunked()
      for (const [a, b] of [
        [1, 2],
        [0, 1],
        [2, 3],
      ] as const) {
        const copy = new Browser()
        for (const [name, value] of browser.cookies) copy.cookies.set(name, value)
        const first = copy.cookies.get(`sess.${a}`) ?? ''
        copy.cookies.set(`sess.${a}`, copy.cookies.get(`sess.${b}`) ?? '')
        copy.cookies.set(`sess.${b}`, first)
        const loaded = await store.load(context(copy.jar(), NOW))
        expect(loaded.session).toBeNull()
        expect(['incomplete', 'tampered']).toContain(loaded.reason)
      }
    })

    it('answers tampered for a corrupted chunk', async () => {
      const { store, browser } = await chunked()
      const value = browser.cookies.get('sess.2') ?? ''
      const flipped = `${value.slice(0, 10)}${value[10] === 'A' ? 'B' : 'A'}${value.slice(11)}`
      browser.cookies.set('sess.2', flipped)
      expect(await store.load(context(browser.jar(), NOW))).toEqual({
        session: null,
        reason: 'tampered',
      })
    })

    it('answers incomplete for a bad or absurd chunk count', async () => {
      const { store, browser } = await chunked()
      const value = browser.cookies.get('sess.0') ?? ''
      const body = value.slice(value.indexOf('*') + 1)
      for (const head of ['0*', '-1*', '33*', '1.5*', '*', 'x*', '99999999999*']) {
        browser.cookies.set('sess.0', `${head}${body}`)
        expect(await store.load(context(browser.jar(), NOW)), head).toEqual({
          session: null,
          reason: 'incomplete',
        })
      }
      browser.cookies.set('sess.0', body) // no count at all
      expect(await store.load(context(browser.jar(), NOW))).toEqual({
        session: null,
        reason: 'incomplete',
      })
    })

    it('answers a failure (never an exception) for random chunk soups', async () => {
      const store = cookieStore(roomy)
      for (let seed = 1; seed <= 40; seed++) {
        const parts = [`sess.0=${seed % 5}*${noise(seed * 3, seed)}`]
        for (let i = 1; i < seed % 6; i++) parts.push(`sess.${i}=${noise(20, seed + i)}`)
        const loaded = await store.load(context(new CookieJar(parts.join('; ')), NOW))
        expect(loaded.session).toBeNull()
        expect(['incomplete', 'tampered']).toContain(loaded.reason)
      }
    })
  })
})

describe('cookieStore: budget', () => {
  it('throws CookieTooLargeError past the default budget', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const jar = new CookieJar(undefined)
    const session = bigSession()
    const error = await store.save(context(jar, NOW), session).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(CookieTooLargeError)
    expect((error as CookieTooLargeError).code).toBe('ERR_COOKIE_TOO_LARGE')
    expect((error as Error).message).not.toContain(session.tokens.idToken ?? '')
    expect(session.version).toBe(0)
  })

  it('stores anyway with onOversize: warn, warning without any token', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const store = cookieStore({ secrets: [NEW], onOversize: 'warn' })
    const browser = new Browser()
    const session = bigSession()
    await saveInto(browser, store, session)
    expect(warn).toHaveBeenCalledTimes(1)
    const message = String(warn.mock.calls[0]?.[0])
    expect(message).toContain('budget')
    expect(message).not.toContain(noise(12_000, 7).slice(0, 40))
    expect((await store.load(context(browser.jar(), NOW))).session?.tokens.idToken).toBe(
      session.tokens.idToken,
    )
  })

  it('throws even with onOversize: warn when more than 32 chunks would be needed', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const store = cookieStore({ secrets: [NEW], onOversize: 'warn' })
    const jar = new CookieJar(undefined)
    await expect(store.save(context(jar, NOW), bigSession(200_000))).rejects.toBeInstanceOf(
      CookieTooLargeError,
    )
    expect(jar.setCookieLines()).toEqual([])
  })

  it('accepts a session under the budget', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const browser = new Browser()
    await saveInto(browser, store, bigSession(4_000))
    expect(chunkNames(browser).length).toBeGreaterThan(1)
    const header = browser.header() ?? ''
    expect(header.length).toBeLessThanOrEqual(7680)
  })
})

describe('cookieStore: rotation and expiry', () => {
  it('loads a session saved under [old] with [new, old] as stale, then re-saves under new', async () => {
    const browser = new Browser()
    await saveInto(browser, cookieStore({ secrets: [OLD] }), makeSession(NOW))
    const rotated = cookieStore({ secrets: [NEW, OLD] })
    const loaded = await rotated.load(context(browser.jar(), NOW))
    expect(loaded).toEqual({ session: { ...makeSession(NOW), version: 1 }, stale: true })
    if (!loaded.session) throw new Error('unreachable')
    await saveInto(browser, rotated, loaded.session)
    const again = await rotated.load(context(browser.jar(), NOW))
    expect(again).toEqual({ session: { ...makeSession(NOW), version: 2 } })
    // Now the old secret can be dropped.
    expect(
      (await cookieStore({ secrets: [NEW] }).load(context(browser.jar(), NOW))).session,
    ).not.toBeNull()
  })

  it('answers tampered once the old secret is dropped', async () => {
    const browser = new Browser()
    await saveInto(browser, cookieStore({ secrets: [OLD] }), makeSession(NOW))
    expect(await cookieStore({ secrets: [NEW] }).load(context(browser.jar(), NOW))).toEqual({
      session: null,
      reason: 'tampered',
    })
  })

  it('answers expired from the session expiry on', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const browser = new Browser()
    await saveInto(browser, store, makeSession(NOW, { expiresAt: NOW + 100 }))
    expect((await store.load(context(browser.jar(), NOW + 99))).session).not.toBeNull()
    for (const now of [NOW + 100, NOW + 101, NOW + 10_000]) {
      expect(await store.load(context(browser.jar(), now))).toEqual({
        session: null,
        reason: 'expired',
      })
    }
  })

  it('answers expired for a chunked session past its expiry', async () => {
    const store = cookieStore({ secrets: [NEW], maxTotalBytes: 1_000_000 })
    const browser = new Browser()
    await saveInto(browser, store, bigSession())
    expect(await store.load(context(browser.jar(), NOW + 3600))).toEqual({
      session: null,
      reason: 'expired',
    })
  })
})

describe('cookieStore: destroy', () => {
  it('expires every carried chunk and the single cookie', async () => {
    const store = cookieStore({ secrets: [NEW], maxTotalBytes: 1_000_000 })
    const browser = new Browser()
    await saveInto(browser, store, bigSession())
    browser.cookies.set('sess', 'leftover')
    const carried = browser.names()
    expect(carried.length).toBeGreaterThan(2)
    const jar = browser.jar()
    await store.destroy(context(jar, NOW), null)
    const lines = jar.setCookieLines()
    expect(lines).toHaveLength(carried.length)
    for (const line of lines) expect(line).toMatch(/^sess(\.\d+)?=; Max-Age=0; Path=\/;/)
    browser.receive(lines)
    expect(browser.names()).toEqual([])
    expect(await store.load(context(browser.jar(), NOW))).toEqual({
      session: null,
      reason: 'none',
    })
  })

  it('is idempotent and sets nothing when there is nothing to expire', async () => {
    const store = cookieStore({ secrets: [NEW] })
    const jar = new CookieJar('other=1')
    await store.destroy(context(jar, NOW), null)
    await store.destroy(context(jar, NOW), null)
    expect(jar.setCookieLines()).toEqual([])
    expect(store.stateful).toBe(false)
  })
})
