/**
 * The cookie store's limits and wire form: line and name+value limits, the Cookie-header budget
 * (nothing half-written past it), leftovers of every shape, the compact packing (no duplicated
 * claims, JWTs as raw bytes) and re-sealing under the current key.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CookieTooLargeError } from '../../../src/errors.js'
import { CookieJar } from '../../../src/request/cookie-jar.js'
import type { Session } from '../../../src/session/session.js'
import { cookieStore } from '../../../src/stores/cookie/index.js'
import type { StoreContext } from '../../../src/stores/types.js'
import { noise } from '../../fixtures/store-helpers.js'

const NOW = 1_700_000_000
const SECRET = 'cookie-store-secret-cookie-store-secret-01'
const OLD = 'cookie-store-old-secret-cookie-store-old-01'
const NAME = '__Host-sess'
const ATTRIBUTES = { secure: true, sameSite: 'lax', path: '/', httpOnly: true } as const

const encodeJson = (value: object) =>
  btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
/** A JWT-shaped token: header.payload.signature with a real JSON payload (canonical base64url). */
function jwt(payload: object, seed: number): string {
  return `${encodeJson({ alg: 'RS256', kid: 'k1' })}.${encodeJson(payload)}.${noise(344, seed)}`
}

function makeSession(padding = 0, claims: { sub?: string; sid?: string } = {}): Session {
  return {
    id: 'session-id-1',
    version: 0,
    createdAt: NOW,
    expiresAt: NOW + 7 * 86400,
    sub: 'user-123',
    sid: 'sid-abc',
    tokens: {
      accessToken: jwt({ sub: 'user-123', scope: 'openid', pad: noise(padding, 3) }, 1),
      tokenType: 'Bearer',
      expiresAt: NOW + 300,
      refreshToken: noise(43, 4),
      idToken: jwt({ sub: 'user-123', sid: 'sid-abc', ...claims, pad: noise(padding, 5) }, 2),
      scope: 'openid profile',
    },
  }
}

const context = (jar: CookieJar, now = NOW): StoreContext => ({
  jar,
  cookie: { name: NAME, attributes: ATTRIBUTES },
  now,
})

/** The browser side: cookies kept between requests, updated from Set-Cookie lines. */
class Jar {
  readonly cookies = new Map<string, string>()
  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ')
  }
  request(): CookieJar {
    return new CookieJar(this.header())
  }
  receive(lines: string[]): void {
    for (const line of lines) {
      const pair = line.slice(0, line.indexOf(';'))
      const name = pair.slice(0, pair.indexOf('='))
      if (/; Max-Age=0(;|$)/.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, pair.slice(pair.indexOf('=') + 1))
    }
  }
}

async function save(store: ReturnType<typeof cookieStore>, browser: Jar, session: Session) {
  const jar = browser.request()
  await store.save(context(jar), session)
  const lines = jar.setCookieLines()
  browser.receive(lines)
  return lines
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('cookieStore limits', () => {
  it('keeps every line within 4 050 bytes by default and loads the chunks back', async () => {
    const store = cookieStore({ secrets: [SECRET], maxTotalBytes: 64_000 })
    const browser = new Jar()
    const lines = await save(store, browser, makeSession(9000))
    expect(lines.length).toBeGreaterThan(3)
    for (const line of lines)
      expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(4050)
    expect([...browser.cookies.keys()]).toEqual(lines.map((_, i) => `${NAME}.${i}`))
    const loaded = await store.load(context(browser.request()))
    expect(loaded.session?.tokens).toEqual(makeSession(9000).tokens)
  })

  it('never lets name + value pass 4 096 bytes, whatever maxCookieBytes says', async () => {
    const store = cookieStore({ secrets: [SECRET], maxCookieBytes: 20_000, maxTotalBytes: 64_000 })
    const browser = new Jar()
    await save(store, browser, makeSession(9000))
    expect(browser.cookies.size).toBeGreaterThan(2)
    for (const [name, value] of browser.cookies)
      expect(name.length + 1 + value.length).toBeLessThanOrEqual(4096)
    expect((await store.load(context(browser.request()))).session?.sub).toBe('user-123')
  })

  it('keeps the whole Cookie header of a session at the default budget under 8 KB', async () => {
    const store = cookieStore({ secrets: [SECRET] })
    const browser = new Jar()
    // The largest padding that still fits the default budget.
    let padding = 0
    for (let step = 2048; step >= 1; step >>= 1) {
      const attempt = new Jar()
      const ok = await save(store, attempt, makeSession(padding + step)).then(
        () => true,
        (error: unknown) => {
          if (!(error instanceof CookieTooLargeError)) throw error
          return false
        },
      )
      if (ok) padding += step
    }
    await save(store, browser, makeSession(padding))
    expect(browser.cookies.size).toBeGreaterThan(1)
    expect(browser.header().length + 2).toBeLessThanOrEqual(7680)
    expect(browser.header().length).toBeGreaterThan(7000)
  })

  it('refuses past the budget with CookieTooLargeError naming the Redis store, writing nothing', async () => {
    const store = cookieStore({ secrets: [SECRET] })
    const browser = new Jar()
    await save(store, browser, makeSession(10))
    const before = browser.header()
    const jar = browser.request()
    const session = makeSession(6000)
    session.tokens.accessToken = `${session.tokens.accessToken}MARKER`
    const error = await store.save(context(jar), session).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(CookieTooLargeError)
    expect((error as CookieTooLargeError).code).toBe('ERR_COOKIE_TOO_LARGE')
    expect((error as Error).message).toMatch(/redisStore/)
    expect((error as Error).message).not.toContain('MARKER')
    expect(jar.setCookieLines()).toEqual([])
    expect(browser.header()).toBe(before)
    expect(session.version).toBe(0)
  })

  it('warns instead when told to, and stores the session', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const store = cookieStore({ secrets: [SECRET], onOversize: 'warn' })
    const browser = new Jar()
    await save(store, browser, makeSession(6000))
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/redisStore/)
    expect((await store.load(context(browser.request()))).session?.sub).toBe('user-123')
  })

  it('refuses invalid options with ERR_INVALID_ARG_VALUE', () => {
    for (const bad of [
      { maxCookieBytes: 10 },
      { maxCookieBytes: 1.5 },
      { maxTotalBytes: -1 },
      { onOversize: 'explode' },
    ]) {
      expect(() => cookieStore({ secrets: [SECRET], ...(bad as object) })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      )
    }
  })
})

describe('cookieStore leftovers', () => {
  const store = cookieStore({ secrets: [SECRET], maxTotalBytes: 64_000 })

  it('expires both the unsplit cookie and surplus chunks a request carried, in one save', async () => {
    const browser = new Jar()
    await save(store, browser, makeSession(9000))
    const chunks = browser.cookies.size
    browser.cookies.set(NAME, 'old-unsplit-cookie')
    browser.cookies.set(`${NAME}.${chunks + 3}`, 'far-away-leftover')
    const lines = await save(store, browser, makeSession(2000))
    expect(browser.cookies.has(NAME)).toBe(false)
    expect([...browser.cookies.keys()].every((n) => /\.\d+$/.test(n))).toBe(true)
    expect(browser.cookies.size).toBeLessThan(chunks)
    expect(lines.filter((l) => l.includes('Max-Age=0')).length).toBeGreaterThanOrEqual(2)
    expect((await store.load(context(browser.request()))).session?.tokens).toEqual(
      makeSession(2000).tokens,
    )
  })

  it('answers incomplete for chunks without chunk 0 and for any chunk past the count', async () => {
    const browser = new Jar()
    await save(store, browser, makeSession(9000))
    const orphans = new Jar()
    for (const [n, v] of browser.cookies) if (n !== `${NAME}.0`) orphans.cookies.set(n, v)
    expect((await store.load(context(orphans.request()))).reason).toBe('incomplete')
    browser.cookies.set(`${NAME}.${browser.cookies.size + 5}`, 'leftover')
    expect((await store.load(context(browser.request()))).reason).toBe('incomplete')
  })

  it('prefers the chunks over a stale unsplit cookie left next to them', async () => {
    const browser = new Jar()
    await save(store, browser, makeSession(9000))
    const small = new Jar()
    await save(store, small, { ...makeSession(0), sub: 'someone-else' })
    browser.cookies.set(NAME, small.cookies.get(NAME) ?? '')
    const loaded = await store.load(context(browser.request()))
    expect(loaded.session?.sub).toBe('user-123')
  })
})

describe('cookieStore wire form', () => {
  const store = cookieStore({ secrets: [SECRET], maxTotalBytes: 64_000 })

  async function sealedLength(session: Session): Promise<number> {
    const jar = new CookieJar(undefined)
    await store.save(context(jar), { ...session, tokens: { ...session.tokens } })
    return jar.setCookieLines().reduce((sum, line) => sum + line.indexOf(';'), 0)
  }

  it('leaves out sub and sid that the id_token carries, and restores them', async () => {
    const same = makeSession(0)
    const other = { ...makeSession(0), sub: 'user-999', sid: 'sid-999' }
    expect(await sealedLength(same)).toBeLessThan(await sealedLength(other))
    for (const session of [same, other]) {
      const browser = new Jar()
      await save(store, browser, { ...session, tokens: { ...session.tokens } })
      const loaded = await store.load(context(browser.request()))
      expect(loaded.session).toEqual({ ...session, version: 1 })
    }
  })

  it('keeps "no sid" when the id_token has one, and a sid when the id_token has none', async () => {
    const withoutSid: Session = { ...makeSession(0) }
    delete (withoutSid as { sid?: string }).sid
    const noSidInToken = makeSession(0, { sid: undefined as unknown as string })
    noSidInToken.tokens.idToken = jwt({ sub: 'user-123' }, 9)
    for (const session of [withoutSid, noSidInToken]) {
      const browser = new Jar()
      await save(store, browser, { ...session, tokens: { ...session.tokens } })
      expect((await store.load(context(browser.request()))).session).toEqual({
        ...session,
        version: 1,
      })
    }
  })

  it('stores JWTs as raw bytes: the cookies are not 4/3 of the tokens, as base64 of text would be', async () => {
    const session = makeSession(3000)
    const { accessToken, idToken = '', refreshToken = '' } = session.tokens
    const tokens = accessToken.length + idToken.length + refreshToken.length
    // Every byte of the sealed form is counted: names, '=', count prefix, JWE header, IV, tag.
    expect(await sealedLength(session)).toBeLessThan(tokens * 1.06)
  })

  it('round-trips tokens that are not base64url and a non-Bearer token type', async () => {
    const session = makeSession(0)
    session.tokens = {
      ...session.tokens,
      accessToken: 'opaque token with spaces/+=ü',
      tokenType: 'DPoP',
      refreshToken: 'abc.', // empty last segment
      idToken: 'not-a-jwt',
    }
    const browser = new Jar()
    await save(store, browser, { ...session, tokens: { ...session.tokens } })
    expect((await store.load(context(browser.request()))).session).toEqual({
      ...session,
      version: 1,
    })
  })
})

describe('cookieStore key rotation', () => {
  it('loads a session sealed under a previous key as stale; saving re-seals it under the current one', async () => {
    const browser = new Jar()
    await save(cookieStore({ secrets: [OLD], maxTotalBytes: 64_000 }), browser, makeSession(5000))
    const rotated = cookieStore({ secrets: [SECRET, OLD], maxTotalBytes: 64_000 })
    const first = await rotated.load(context(browser.request()))
    expect(first.session !== null && first.stale).toBe(true)
    await save(rotated, browser, first.session!)
    const second = await rotated.load(context(browser.request()))
    expect(second.session !== null ? second.stale : 'no session').toBeUndefined()
    const onlyNew = cookieStore({ secrets: [SECRET], maxTotalBytes: 64_000 })
    expect((await onlyNew.load(context(browser.request()))).session?.sub).toBe('user-123')
  })

  it('answers expired for a session past its absolute lifetime, even from the open-value cache', async () => {
    const store = cookieStore({ secrets: [SECRET] })
    const browser = new Jar()
    await save(store, browser, makeSession(0))
    expect((await store.load(context(browser.request(), NOW + 10))).session).not.toBeNull()
    const late = await store.load(context(browser.request(), NOW + 7 * 86400))
    expect(late).toEqual({ session: null, reason: 'expired' })
  })

  it('hands out independent session objects for the same cookie', async () => {
    const store = cookieStore({ secrets: [SECRET] })
    const browser = new Jar()
    await save(store, browser, makeSession(0))
    const a = await store.load(context(browser.request()))
    a.session!.tokens.accessToken = 'changed'
    a.session!.version = 42
    const b = await store.load(context(browser.request()))
    expect(b.session?.tokens.accessToken).toBe(makeSession(0).tokens.accessToken)
    expect(b.session?.version).toBe(1)
  })
})
