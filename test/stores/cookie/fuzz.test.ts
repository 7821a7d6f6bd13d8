/**
 * Property tests (fast-check) on the cookie store's three parsers: the `Cookie` header, chunk
 * reassembly and unsealing. 100 000 random and mutated inputs in all: no exception escapes, and
 * nothing altered is ever accepted (a successful load is always the very session that was saved).
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { SealError } from '../../../src/errors.js'
import { CookieJar } from '../../../src/request/cookie-jar.js'
import { createSealer } from '../../../src/session/codec.js'
import { packSession, unpackSession, type Session } from '../../../src/session/session.js'
import { cookieStore } from '../../../src/stores/cookie/index.js'
import type { StoreContext } from '../../../src/stores/types.js'

const SECRET = 'fuzz-secret-fuzz-secret-fuzz-secret-0123'
const NOW = 1_700_000_000
const NAME = 'sess'
const ATTRIBUTES = { secure: true, sameSite: 'lax', path: '/', httpOnly: true } as const

const COOKIE_RUNS = 40_000
const UNPACK_RUNS = 20_000
const UNSEAL_RUNS = 20_000
const CHUNK_RUNS = 20_000

const base64urlChars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const b64 = (length: number, seed: number) =>
  Array.from({ length }, (_, i) => base64urlChars[(i * 7 + seed * 13) % 64]).join('')
const jwt = (payload: object, seed: number) =>
  `${b64(36, seed)}.${btoa(JSON.stringify(payload)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.${b64(344, seed + 1)}`

function session(padding: number): Session {
  return {
    id: 'fuzz-session',
    version: 0,
    createdAt: NOW,
    expiresAt: NOW + 3600,
    sub: 'user-1',
    sid: 'sid-1',
    tokens: {
      accessToken: jwt({ sub: 'user-1', scope: 'openid', pad: 'a'.repeat(padding) }, 1),
      tokenType: 'Bearer',
      expiresAt: NOW + 300,
      refreshToken: b64(43, 3),
      idToken: jwt({ sub: 'user-1', sid: 'sid-1', pad: 'i'.repeat(padding) }, 2),
      scope: 'openid profile',
    },
  }
}

const context = (jar: CookieJar): StoreContext => ({
  jar,
  cookie: { name: NAME, attributes: ATTRIBUTES },
  now: NOW,
})

/** A saved session: the cookies a browser would hold (name → value). */
interface Saved {
  session: Session
  cookies: [string, string][]
}

const store = cookieStore({ secrets: [SECRET], maxCookieBytes: 1200, maxTotalBytes: 100_000 })
const sealer = createSealer([SECRET], 'session')
const saved: Saved[] = []
let sealed = ''
let sealedSession: Session

beforeAll(async () => {
  for (const padding of [10, 600, 2500]) {
    const original = session(padding)
    const jar = new CookieJar(undefined)
    await store.save(context(jar), { ...original, tokens: { ...original.tokens } })
    const cookies = jar.setCookieLines().map((line): [string, string] => {
      const pair = line.slice(0, line.indexOf(';'))
      const eq = pair.indexOf('=')
      return [pair.slice(0, eq), pair.slice(eq + 1)]
    })
    saved.push({ session: { ...original, version: 1 }, cookies })
  }
  sealedSession = session(200)
  sealed = await sealer.sealBytes(packSession(sealedSession), NOW + 3600)
})

const header = (cookies: [string, string][]) =>
  cookies.map(([name, value]) => `${name}=${value}`).join('; ')

/** Characters that matter to cookie parsing, plus anything else. */
const cookieText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('=', ';', ' ', '"', ',', '%', '.', '*', '\\', '\t', NAME, `${NAME}.0`, '%ZZ'),
    fc.string({ unit: 'binary', maxLength: 1 }),
  ),
  maxLength: 120,
})

describe('Cookie header parsing', () => {
  it(`never throws on ${COOKIE_RUNS} random and mutated headers`, () => {
    const real = () => header(saved[1]?.cookies ?? [])
    fc.assert(
      fc.property(
        fc.oneof(
          cookieText,
          fc.tuple(fc.nat(), cookieText).map(([at, insert]) => {
            const base = real()
            const index = at % (base.length + 1)
            return base.slice(0, index) + insert + base.slice(index)
          }),
        ),
        (text) => {
          const jar = new CookieJar(text)
          for (const name of jar.names()) expect(typeof jar.get(name)).toBe('string')
        },
      ),
      { numRuns: COOKIE_RUNS },
    )
  })
})

describe('unpacking', () => {
  it(`answers a session or null, never throws, for ${UNPACK_RUNS} random and mutated packings`, () => {
    const good = packSession(session(50))
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
            const copy = good.slice()
            copy[at % copy.length] = byte
            return copy
          }),
          fc.nat().map((cut) => good.slice(0, cut % good.length)),
        ),
        (bytes) => {
          const result = unpackSession(bytes)
          expect(result === null || typeof result.sub === 'string').toBe(true)
        },
      ),
      { numRuns: UNPACK_RUNS },
    )
  })
})

/** Mutations of a sealed string: flips, insertions, deletions, truncations, part shuffles. */
function mutatedSealed(): fc.Arbitrary<string> {
  const alphabet = fc.constantFrom(...`${base64urlChars}.=+/ %`)
  return fc.oneof(
    fc.tuple(fc.nat(), alphabet).map(([at, char]) => {
      const i = at % sealed.length
      return sealed.slice(0, i) + char + sealed.slice(i + 1)
    }),
    fc.tuple(fc.nat(), alphabet).map(([at, char]) => {
      const i = at % (sealed.length + 1)
      return sealed.slice(0, i) + char + sealed.slice(i)
    }),
    fc.nat().map((at) => {
      const i = at % sealed.length
      return sealed.slice(0, i) + sealed.slice(i + 1)
    }),
    fc.nat().map((at) => sealed.slice(0, at % sealed.length)),
    fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 1 }).map((order) => {
      const parts = sealed.split('.')
      return order.map((i) => parts[i]).join('.')
    }),
    fc.string({ unit: alphabet, maxLength: 300 }),
  )
}

describe('unsealing', () => {
  it(`opens nothing but the sealed value itself across ${UNSEAL_RUNS} mutations`, async () => {
    await fc.assert(
      fc.asyncProperty(mutatedSealed(), async (candidate) => {
        let opened: Uint8Array | undefined
        try {
          opened = (await sealer.unsealBytes(candidate, NOW)).bytes
        } catch (error) {
          expect(error).toBeInstanceOf(SealError)
          return
        }
        expect(candidate).toBe(sealed)
        expect(unpackSession(opened)).toEqual(sealedSession)
      }),
      { numRuns: UNSEAL_RUNS },
    )
  })
})

type Mutation =
  | { kind: 'drop'; at: number }
  | { kind: 'extra'; index: number; value: string }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'count'; count: string }
  | { kind: 'edit'; at: number; offset: number; char: string }
  | { kind: 'rename'; at: number; name: string }
  | { kind: 'other'; name: string; value: string }
  | { kind: 'mix'; from: number; at: number }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('extra' as const),
    index: fc.integer({ min: 0, max: 40 }),
    value: fc.string({ unit: fc.constantFrom(...base64urlChars), maxLength: 40 }),
  }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({
    kind: fc.constant('count' as const),
    count: fc.oneof(
      fc.integer({ min: -2, max: 40 }).map(String),
      fc.constantFrom('', '01', '1e1', '0x2', ' 2', '2.0', 'NaN'),
    ),
  }),
  fc.record({
    kind: fc.constant('edit' as const),
    at: fc.nat(),
    offset: fc.nat(),
    char: fc.constantFrom(...`${base64urlChars}.*`),
  }),
  fc.record({
    kind: fc.constant('rename' as const),
    at: fc.nat(),
    name: fc.constantFrom(NAME, `${NAME}.0`, `${NAME}.1`, `${NAME}.7`, `${NAME}.33`, `${NAME}.01`),
  }),
  fc.record({
    kind: fc.constant('other' as const),
    name: fc.constantFrom('a', 'other', `x${NAME}.0`),
    value: fc.string({ unit: fc.constantFrom(...base64urlChars), maxLength: 20 }),
  }),
  fc.record({ kind: fc.constant('mix' as const), from: fc.nat(), at: fc.nat() }),
)

function apply(cookies: [string, string][], m: Mutation, from: Saved[]): [string, string][] {
  const out = cookies.map(([n, v]): [string, string] => [n, v])
  const pick = (at: number) => at % out.length
  switch (m.kind) {
    case 'drop':
      out.splice(pick(m.at), 1)
      break
    case 'extra':
      out.push([`${NAME}.${m.index}`, m.value])
      break
    case 'swap': {
      const a = out[pick(m.a)]
      const b = out[pick(m.b)]
      if (a && b) [a[1], b[1]] = [b[1], a[1]]
      break
    }
    case 'count': {
      const first = out.find(([n]) => n === `${NAME}.0`)
      if (first) first[1] = `${m.count}${first[1].slice(first[1].indexOf('*'))}`
      break
    }
    case 'edit': {
      const cookie = out[pick(m.at)]
      if (cookie) {
        const i = m.offset % (cookie[1].length || 1)
        cookie[1] = cookie[1].slice(0, i) + m.char + cookie[1].slice(i + 1)
      }
      break
    }
    case 'rename': {
      const cookie = out[pick(m.at)]
      if (cookie) cookie[0] = m.name
      break
    }
    case 'other':
      out.push([m.name, m.value])
      break
    case 'mix': {
      // A chunk of another session, under the same name: a stale leftover.
      const other = from[m.from % from.length]?.cookies ?? []
      const leftover = other[m.at % Math.max(1, other.length)]
      if (leftover) out.push(leftover)
      break
    }
  }
  return out
}

/**
 * The sealed string a chunk set stands for, read through the same `Cookie` header parser (so
 * duplicate names resolve as they do for the store).
 */
function sealedOf(cookies: [string, string][]): string {
  const map = new CookieJar(header(cookies))
  const first = map.get(`${NAME}.0`)
  if (first === undefined) return map.get(NAME) ?? ''
  const count = Number(first.slice(0, first.indexOf('*')))
  const parts = [first.slice(first.indexOf('*') + 1)]
  for (let i = 1; i < count; i++) parts.push(map.get(`${NAME}.${i}`) ?? '')
  return parts.join('')
}

describe('chunk reassembly', () => {
  it(`never throws and accepts only the saved session across ${CHUNK_RUNS} mutated chunk sets`, async () => {
    expect(saved.map((s) => s.cookies.length)).toEqual([
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
    ])
    expect(saved[2]!.cookies.length).toBeGreaterThan(3)
    const original = new Map(saved.map((s) => [sealedOf(s.cookies), s.session]))
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: saved.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (which, mutations) => {
          const base = saved[which]!
          const cookies = mutations.reduce((c, m) => apply(c, m, saved), base.cookies)
          const result = await store.load(context(new CookieJar(header(cookies))))
          if (result.session === null) {
            expect(['none', 'incomplete', 'tampered', 'expired']).toContain(result.reason)
            return
          }
          // Accepted: it must be one of the saved sessions, byte for byte what was sealed.
          const expected = original.get(sealedOf(cookies))
          expect(expected).toBeDefined()
          expect(result.session).toEqual(expected)
        },
      ),
      { numRuns: CHUNK_RUNS },
    )
  })
})
