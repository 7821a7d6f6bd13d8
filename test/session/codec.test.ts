import { base64url } from 'jose'
import { describe, expect, it } from 'vitest'
import { SealError } from '../../src/errors.js'
import { createSealer } from '../../src/session/codec.js'

const OLD = 'o'.repeat(32)
const NEW = 'n'.repeat(32)
const NOW = 1_700_000_000
const LATER = NOW + 3600

/** Run `fn` and return the error it rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

async function expectSealError(promise: Promise<unknown>): Promise<SealError> {
  const error = await rejection(promise)
  expect(error).toBeInstanceOf(SealError)
  expect((error as SealError).code).toBe('ERR_SEAL_INVALID')
  return error as SealError
}

describe('createSealer', () => {
  it('round-trips JSON values', async () => {
    const sealer = createSealer([NEW], 'session')
    for (const value of [
      { a: 1, nested: { list: [1, 'two', null, true] } },
      'a string',
      42,
      null,
      [],
      { unicode: 'é—😀' },
    ]) {
      const sealed = await sealer.seal(value, LATER)
      const opened = await sealer.unseal(sealed, NOW)
      expect(opened).toEqual({ value, stale: false })
    }
  })

  it('produces a five-part JWE compact with cookie-safe characters and no plaintext', async () => {
    const sealer = createSealer([NEW], 'session')
    const sealed = await sealer.seal({ secret: 'plain-text-marker' }, LATER)
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
    expect(sealed).not.toContain('plain-text-marker')
    const [header = ''] = sealed.split('.')
    const parsed = JSON.parse(new TextDecoder().decode(base64url.decode(header))) as Record<
      string,
      unknown
    >
    expect(parsed).toMatchObject({ alg: 'dir', enc: 'A256GCM' })
    expect(typeof parsed.kid).toBe('string')
  })

  it('never seals the same value to the same string (fresh IV)', async () => {
    const sealer = createSealer([NEW], 'session')
    const a = await sealer.seal({ x: 1 }, LATER)
    const b = await sealer.seal({ x: 1 }, LATER)
    expect(a).not.toBe(b)
  })

  it('opens until expiresAt and refuses from expiresAt on', async () => {
    const sealer = createSealer([NEW], 'session')
    const sealed = await sealer.seal({ x: 1 }, LATER)
    await expect(sealer.unseal(sealed, LATER - 1)).resolves.toEqual({
      value: { x: 1 },
      stale: false,
    })
    const atExpiry = await expectSealError(sealer.unseal(sealed, LATER))
    expect(atExpiry.message).toBe('sealed value has expired')
    await expectSealError(sealer.unseal(sealed, LATER + 1))
  })

  it('opens a value sealed under a previous secret as stale after rotation', async () => {
    const before = createSealer([OLD], 'session')
    const after = createSealer([NEW, OLD], 'session')
    const sealedOld = await before.seal({ who: 'old' }, LATER)
    await expect(after.unseal(sealedOld, NOW)).resolves.toEqual({
      value: { who: 'old' },
      stale: true,
    })
    // The current secret seals, and what it seals is not stale.
    const sealedNew = await after.seal({ who: 'new' }, LATER)
    await expect(after.unseal(sealedNew, NOW)).resolves.toEqual({
      value: { who: 'new' },
      stale: false,
    })
    // ...and the old key alone cannot open it.
    await expectSealError(before.unseal(sealedNew, NOW))
  })

  it('refuses a value sealed under an unknown key', async () => {
    const foreign = createSealer(['f'.repeat(32)], 'session')
    const sealer = createSealer([NEW, OLD], 'session')
    const sealed = await foreign.seal({ x: 1 }, LATER)
    const error = await expectSealError(sealer.unseal(sealed, NOW))
    expect(error.message).toBe('sealed under an unknown key')
  })

  it('derives unrelated keys for different purposes', async () => {
    const session = createSealer([NEW], 'session')
    const transaction = createSealer([NEW], 'transaction')
    const sealed = await session.seal({ x: 1 }, LATER)
    await expectSealError(transaction.unseal(sealed, NOW))
    await expectSealError(session.unseal(await transaction.seal({ x: 1 }, LATER), NOW))
    const kid = (s: string) =>
      (
        JSON.parse(new TextDecoder().decode(base64url.decode(s.split('.')[0] ?? ''))) as {
          kid: string
        }
      ).kid
    expect(kid(sealed)).not.toBe(kid(await transaction.seal({ x: 1 }, LATER)))
  })

  it('rejects empty, truncated, huge and non-string inputs with SealError', async () => {
    const sealer = createSealer([NEW], 'session')
    const sealed = await sealer.seal({ x: 'y'.repeat(100) }, LATER)
    const inputs: unknown[] = [
      '',
      '.',
      '....',
      'not-a-jwe',
      sealed.slice(0, -1),
      sealed.slice(0, sealed.length >> 1),
      sealed.slice(1),
      sealed.split('.').slice(0, 4).join('.'),
      `${sealed}.`,
      `${sealed}${sealed}`,
      'A'.repeat((1 << 20) + 1),
      `${sealed}${'A'.repeat(1 << 20)}`,
      undefined,
      null,
      42,
      { sealed },
    ]
    for (const input of inputs) {
      await expectSealError(sealer.unseal(input as string, NOW))
    }
  })

  it('rejects a well-formed JWE under the right key whose payload has no expiry', async () => {
    // Seal "by hand" what the sealer would never produce: a value without the `e` envelope.
    const { CompactEncrypt } = await import('jose')
    const sealer = createSealer([NEW], 'session')
    const sealed = await sealer.seal({ x: 1 }, LATER)
    const header = JSON.parse(
      new TextDecoder().decode(base64url.decode(sealed.split('.')[0] ?? '')),
    ) as { kid: string }
    // Derive the same key as the sealer (HKDF, documented in codec.ts).
    const material = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(NEW),
      'HKDF',
      false,
      ['deriveBits'],
    )
    const raw = await crypto.subtle.deriveBits(
      {
        name: 'HKDF',
        hash: 'SHA-256',
        salt: new TextEncoder().encode('oidc-session'),
        info: new TextEncoder().encode('oidc-session session A256GCM'),
      },
      material,
      256,
    )
    const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt'])
    for (const plaintext of ['{"v":1}', 'not json', '{"v":1,"e":"2000000000"}', 'null']) {
      const forged = await new CompactEncrypt(new TextEncoder().encode(plaintext))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: header.kid })
        .encrypt(key)
      await expectSealError(sealer.unseal(forged, NOW))
    }
    // Sanity: the hand-derived key really is the sealer's key.
    const good = await new CompactEncrypt(
      new TextEncoder().encode(JSON.stringify({ v: 'ok', e: LATER })),
    )
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: header.kid })
      .encrypt(key)
    await expect(sealer.unseal(good, NOW)).resolves.toEqual({ value: 'ok', stale: false })
  })

  it('refuses other algorithms even under a known kid', async () => {
    const { CompactEncrypt } = await import('jose')
    const sealer = createSealer([NEW], 'session')
    const sealed = await sealer.seal({ x: 1 }, LATER)
    const { kid } = JSON.parse(
      new TextDecoder().decode(base64url.decode(sealed.split('.')[0] ?? '')),
    ) as { kid: string }
    const key = new Uint8Array(16)
    const forged = await new CompactEncrypt(new TextEncoder().encode('{"v":1,"e":2000000000}'))
      .setProtectedHeader({ alg: 'dir', enc: 'A128GCM', kid })
      .encrypt(key)
    await expectSealError(sealer.unseal(forged, NOW))
  })

  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

  it('rejects every single-character flip that changes the encoded bytes', async () => {
    // Each character is replaced by the one 32 places away in the base64url alphabet: this flips
    // the high bit of its 6-bit group, which always changes a decoded byte.
    const sealer = createSealer([NEW], 'session')
    const sealed = await sealer.seal({ sub: 'user-1', roles: ['a', 'b'] }, LATER)
    for (let i = 0; i < sealed.length; i++) {
      const char = sealed[i] ?? ''
      const flipped = char === '.' ? 'A' : (ALPHABET[(ALPHABET.indexOf(char) + 32) % 64] ?? '')
      const mutated = sealed.slice(0, i) + flipped + sealed.slice(i + 1)
      const error = await rejection(sealer.unseal(mutated, NOW))
      expect(error, `position ${i}`).toBeInstanceOf(SealError)
    }
  })

  it('never accepts any other single-character mutation with changed content', async () => {
    // Exhaustive: every position, every base64url character and a few separators. A mutation may
    // only be "accepted" when it is a non-canonical spelling of the very same bytes (the unused
    // low bits of a segment's last character); see the report on base64url malleability.
    const sealer = createSealer([NEW], 'session')
    const value = { sub: 'user-1' }
    const sealed = await sealer.seal(value, LATER)
    const segments = sealed.split('.')
    const segmentEnds = new Set<number>()
    let offset = 0
    for (const segment of segments) {
      if (segment.length > 0) segmentEnds.add(offset + segment.length - 1)
      offset += segment.length + 1
    }
    for (let i = 0; i < sealed.length; i++) {
      // Every replacement at segment ends (where unused bits live), a rotating sample elsewhere
      // (the strict high-bit flip above already covers every position).
      const sample = segmentEnds.has(i)
        ? ALPHABET
        : [...ALPHABET].filter((_, index) => index % 8 === i % 8).join('')
      for (const replacement of `${sample}.=+/ %`) {
        if (replacement === sealed[i]) continue
        const mutated = sealed.slice(0, i) + replacement + sealed.slice(i + 1)
        let opened: { value: unknown } | undefined
        try {
          opened = await sealer.unseal(mutated, NOW)
        } catch (error) {
          expect(error, `position ${i} → ${replacement}`).toBeInstanceOf(SealError)
          continue
        }
        expect(segmentEnds.has(i), `accepted a mutation at ${i}`).toBe(true)
        expect(opened.value).toEqual(value)
        const before = sealed.split('.')
        const after = mutated.split('.')
        expect(after.map((s) => base64url.encode(base64url.decode(s)))).toEqual(before)
      }
    }
  })

  it('keeps working after an unseal failure (no poisoned key cache)', async () => {
    const sealer = createSealer([NEW], 'session')
    await expectSealError(sealer.unseal('garbage', NOW))
    const sealed = await sealer.seal({ ok: true }, LATER)
    await expect(sealer.unseal(sealed, NOW)).resolves.toEqual({ value: { ok: true }, stale: false })
  })
})
