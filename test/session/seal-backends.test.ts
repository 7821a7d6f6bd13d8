/**
 * The two `#seal` backends held to `jose` and to each other, below the codec:
 *
 * - what `lib/seal-node.ts` (`node:crypto`) writes opens with jose's `compactDecrypt`, and what
 *   jose's `CompactEncrypt` writes opens on both backends (round trips both ways, byte-compatible
 *   headers);
 * - a differential fuzz: tampered, truncated, re-spelled, resized (IV, tag) and foreign-key values
 *   get the same verdict from both backends, and whatever they accept jose accepts too, with the
 *   same plaintext;
 * - one canonical spelling: of all the spellings jose accepts for one sealed value, only the one
 *   that was written opens here;
 * - both backends hash alike (Redis key names).
 */
import { createHash, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { CompactEncrypt, base64url, compactDecrypt } from 'jose'
import { describe, expect, it } from 'vitest'
import * as node from '../../src/lib/seal-node.js'
import * as web from '../../src/lib/seal-web.js'
import { parseCompact, sealHeader, type SealHeader } from '../../src/lib/seal.js'
import { sealBackend } from '../../src/session/codec.js'

const RUNS = 3_000
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const raw = new Uint8Array(randomBytes(32))
const foreign = new Uint8Array(randomBytes(32))
const header = sealHeader('kid-1')
const headers = new Map<string, SealHeader>([[header.segment, header]])
const nodeKey = node.importKey(raw)
const webKey = await web.importKey(raw)
const JOSE = { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] }

/** `null` when refused, else the plaintext: the verdict of one backend on one value. */
async function verdict(backend: 'node' | 'web', sealed: string): Promise<string | null> {
  const parsed = parseCompact(sealed, headers)
  if (!parsed) return null
  const plaintext =
    backend === 'node'
      ? node.decrypt(nodeKey, parsed.parts)
      : await web.decrypt(webKey, parsed.parts)
  return plaintext === null ? null : Buffer.from(plaintext).toString('hex')
}

/** Each segment decoded and re-encoded canonically (what a lenient decoder sees). */
function respelled(sealed: string): string {
  return sealed
    .split('.')
    .map((segment) => base64url.encode(base64url.decode(segment)))
    .join('.')
}

/** jose on its own (no canonical check, any header it supports): `null` when it refuses. */
async function joseVerdict(sealed: string, key = raw): Promise<string | null> {
  try {
    return Buffer.from((await compactDecrypt(sealed, key, JOSE)).plaintext).toString('hex')
  } catch {
    return null
  }
}

describe('#seal backends', () => {
  it('the tests run the codec on the Node backend (vitest alias), which is synchronous', () => {
    expect(sealBackend).toBe('node')
    expect(typeof node.encrypt(nodeKey, header, new Uint8Array([1]))).toBe('string')
  })

  it('writes the header exactly as jose does, and the layout of a jose JWE', async () => {
    const plaintext = new TextEncoder().encode('{"v":{"a":1},"e":2000000000}')
    const ours = node.encrypt(nodeKey, header, plaintext)
    const theirs = await new CompactEncrypt(plaintext)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'kid-1' })
      .encrypt(raw)
    const [h1, k1, iv1, c1, t1] = ours.split('.')
    const [h2, k2, iv2, c2, t2] = theirs.split('.')
    expect(h1).toBe(h2)
    expect([k1, k2]).toEqual(['', ''])
    expect([iv1?.length, c1?.length, t1?.length]).toEqual([iv2?.length, c2?.length, t2?.length])
    expect(iv1).not.toBe(iv2)
    expect(sealHeader().segment).toBe(
      (
        await new CompactEncrypt(plaintext)
          .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
          .encrypt(raw)
      ).split('.')[0],
    )
  })

  it('round-trips both ways against jose, for any plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        const hex = Buffer.from(bytes).toString('hex')
        // Node → jose, Web → jose
        expect(await joseVerdict(node.encrypt(nodeKey, header, bytes))).toBe(hex)
        expect(await joseVerdict(await web.encrypt(webKey, header, bytes))).toBe(hex)
        // jose → Node and Web
        const sealed = await new CompactEncrypt(bytes)
          .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'kid-1' })
          .encrypt(raw)
        expect(await verdict('node', sealed)).toBe(hex)
        expect(await verdict('web', sealed)).toBe(hex)
        // Node ↔ Web
        expect(await verdict('web', node.encrypt(nodeKey, header, bytes))).toBe(hex)
        expect(await verdict('node', await web.encrypt(webKey, header, bytes))).toBe(hex)
      }),
      { numRuns: 300 },
    )
  })

  /** Ways to spoil a sealed value: every kind the codec's fuzz suites use. */
  const mutation = fc.oneof(
    // replace one character by any character of the alphabet, a separator or padding
    fc.record({
      kind: fc.constant('replace' as const),
      at: fc.nat(),
      char: fc.constantFrom(...`${ALPHABET}.=+/ `),
    }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      char: fc.constantFrom(...`${ALPHABET}.=`),
    }),
    // re-spell a segment's last character (same decoded bytes unless the used bits change)
    fc.record({
      kind: fc.constant('respell' as const),
      segment: fc.nat(4),
      xor: fc.integer({ min: 1, max: 15 }),
    }),
    // resize the IV or the tag by a few bytes (re-encoded canonically)
    fc.record({
      kind: fc.constant('resize' as const),
      segment: fc.constantFrom(2, 4),
      delta: fc.integer({ min: -4, max: 4 }).filter((d) => d !== 0),
    }),
    fc.record({ kind: fc.constant('foreign' as const) }),
    fc.record({ kind: fc.constant('swap' as const), a: fc.nat(4), b: fc.nat(4) }),
  )

  function apply(
    sealed: string,
    m: typeof mutation extends fc.Arbitrary<infer T> ? T : never,
    other: string,
  ): string {
    const parts = sealed.split('.')
    switch (m.kind) {
      case 'replace': {
        const at = m.at % sealed.length
        return sealed.slice(0, at) + m.char + sealed.slice(at + 1)
      }
      case 'truncate':
        return sealed.slice(0, m.at % sealed.length)
      case 'insert': {
        const at = m.at % (sealed.length + 1)
        return sealed.slice(0, at) + m.char + sealed.slice(at)
      }
      case 'respell': {
        const segment = parts[m.segment] ?? ''
        if (segment === '') return sealed
        const last = ALPHABET.indexOf(segment.at(-1) ?? 'A')
        parts[m.segment] = segment.slice(0, -1) + ALPHABET[(last ^ m.xor) & 63]
        return parts.join('.')
      }
      case 'resize': {
        let bytes: Uint8Array
        try {
          bytes = base64url.decode(parts[m.segment] ?? '')
        } catch {
          return sealed // an earlier mutation left it undecodable
        }
        const resized = new Uint8Array(Math.max(0, bytes.length + m.delta))
        resized.set(bytes.subarray(0, resized.length))
        parts[m.segment] = base64url.encode(resized)
        return parts.join('.')
      }
      case 'foreign':
        return other
      case 'swap': {
        const a = parts[m.a] ?? ''
        parts[m.a] = parts[m.b] ?? ''
        parts[m.b] = a
        return parts.join('.')
      }
    }
  }

  it(`gives the same verdict on both backends for ${RUNS} spoiled values, never more than jose`, async () => {
    let refused = 0
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (bytes, mutations, byJose) => {
          const sealed = byJose
            ? await new CompactEncrypt(bytes)
                .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'kid-1' })
                .encrypt(raw)
            : node.encrypt(nodeKey, header, bytes)
          const other = await new CompactEncrypt(bytes)
            .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'kid-1' })
            .encrypt(foreign)
          let candidate = sealed
          for (const m of mutations) candidate = apply(candidate, m, other)
          const [onNode, onWeb, byItself] = await Promise.all([
            verdict('node', candidate),
            verdict('web', candidate),
            joseVerdict(candidate),
          ])
          expect(onNode).toBe(onWeb)
          if (onNode === null) {
            refused++
            // Refused here but opened by jose: only another spelling of the value as written.
            if (byItself !== null) {
              expect(candidate).not.toBe(sealed)
              expect(respelled(candidate)).toBe(sealed)
            }
          } else {
            // Accepted: only the value as written, which jose opens to the same bytes.
            expect(candidate).toBe(sealed)
            expect(byItself).toBe(onNode)
          }
        },
      ),
      { numRuns: RUNS },
    )
    expect(refused).toBeGreaterThan(RUNS / 2)
  })

  it('accepts one spelling only: every re-spelling jose still opens is refused here', async () => {
    const bytes = new TextEncoder().encode('{"v":"x","e":2000000000}')
    const sealed = node.encrypt(nodeKey, header, bytes)
    const parts = sealed.split('.')
    let respellings = 0
    // The header too, though jose refuses its re-spellings itself (its bytes as written are the AAD).
    for (const index of [0, 2, 3, 4]) {
      const segment = parts[index] ?? ''
      const last = ALPHABET.indexOf(segment.at(-1) ?? 'A')
      for (let xor = 1; xor < 64; xor++) {
        const copy = [...parts]
        copy[index] = segment.slice(0, -1) + ALPHABET[last ^ xor]
        const twin = copy.join('.')
        const same = base64url.encode(base64url.decode(copy[index] ?? '')) === segment
        if (!same) continue
        respellings++
        if (index !== 0) expect(await joseVerdict(twin)).not.toBeNull()
        expect(await verdict('node', twin)).toBeNull()
        expect(await verdict('web', twin)).toBeNull()
      }
    }
    expect(respellings).toBeGreaterThan(0)
  })

  it('refuses a value jose writes with another header spelling, even under the right key', async () => {
    const bytes = new TextEncoder().encode('{}')
    for (const h of [
      { enc: 'A256GCM', alg: 'dir', kid: 'kid-1' },
      { alg: 'dir', enc: 'A256GCM', kid: 'kid-1', zip: undefined, x: 1 },
      { alg: 'dir', enc: 'A256GCM' },
    ]) {
      const sealed = await new CompactEncrypt(bytes).setProtectedHeader(h as never).encrypt(raw)
      expect(await verdict('node', sealed)).toBeNull()
      expect(await verdict('web', sealed)).toBeNull()
    }
  })

  it('encode and decode base64url alike, refusing the same non-canonical spellings', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(),
        fc.constantFrom(...`${ALPHABET}+/=. %\u0141`),
        (bytes, at, char) => {
          const text = node.base64url(bytes)
          expect(web.base64url(bytes)).toBe(text)
          expect(text).toBe(base64url.encode(bytes))
          expect(node.decodeBase64url(text)).toEqual(Buffer.from(bytes))
          expect(web.decodeBase64url(text)).toEqual(bytes)
          const i = text.length === 0 ? 0 : at % text.length
          const spoiled = text.slice(0, i) + char + text.slice(i + 1)
          const onNode = node.decodeBase64url(spoiled)
          const onWeb = web.decodeBase64url(spoiled)
          expect(onNode === undefined).toBe(onWeb === undefined)
          if (onNode !== undefined) expect(node.base64url(onNode)).toBe(spoiled)
        },
      ),
      { numRuns: 5_000 },
    )
  })

  it('hashes alike on both backends (the Redis key names)', async () => {
    for (const text of ['', 'a', 'oidc-session/redis-key\0k', 'é✓\u{1F600}'.repeat(50)]) {
      const expected = createHash('sha256').update(text).digest('base64url')
      expect(node.sha256(text)).toBe(expected)
      expect(await web.sha256(text)).toBe(expected)
    }
  })
})
