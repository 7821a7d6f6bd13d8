/**
 * The `#seal` backend on Node (the package's `node` condition): `node:crypto` AES-256-GCM,
 * synchronous, writing and reading the same JWE compact bytes as `jose` (`dir` + `A256GCM`). The
 * one place where something other than `jose` touches JWE bytes; `seal.ts` parses them for both
 * backends, and the codec tests hold this file to `jose` (round trips both ways, the fuzz suite
 * with identical verdicts).
 *
 * @module
 */
import {
  KeyObject,
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  randomFillSync,
} from 'node:crypto'
import type { CompactParts, SealBackend, SealHeader, SealKey } from './seal.js'

/** Which backend this is. */
export const backend = 'node' satisfies SealBackend['backend']

/** {@link SealBackend.importKey}: a secret `KeyObject` (a `CryptoKey` is wrapped, not exported). */
export function importKey(key: Uint8Array | CryptoKey): SealKey {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw new TypeError('key must be 32 bytes')
    return createSecretKey(key)
  }
  return KeyObject.from(key)
}

// IVs come from a pooled buffer of random bytes (one `randomFillSync` per 1 024 seals).
const IV_POOL = Buffer.alloc(12 * 1024)
let ivOffset = IV_POOL.length

function nextIv(): Buffer {
  if (ivOffset === IV_POOL.length) {
    randomFillSync(IV_POOL)
    ivOffset = 0
  }
  const iv = IV_POOL.subarray(ivOffset, ivOffset + 12)
  ivOffset += 12
  return iv
}

/** {@link SealBackend.encrypt}: `header..iv.ciphertext.tag`, the header's bytes as AAD. */
export function encrypt(key: SealKey, header: SealHeader, plaintext: Uint8Array): string {
  const iv = nextIv()
  const cipher = createCipheriv('aes-256-gcm', key as KeyObject, iv, { authTagLength: 16 })
  cipher.setAAD(Buffer.from(header.segment, 'latin1'))
  const head = cipher.update(plaintext)
  const tail = cipher.final()
  const ciphertext = tail.length === 0 ? head : Buffer.concat([head, tail])
  return `${header.segment}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`
}

/**
 * {@link SealBackend.decrypt}; `parts` passed `parseCompact` (header, IV and tag checked). Node's
 * decoder is lenient (it skips unknown characters, takes `+` `/` `=`, ignores unused bits), so the
 * ciphertext counts as canonical only when re-encoding its bytes gives back the very same string:
 * cheaper than a character scan of it.
 */
export function decrypt(key: SealKey, parts: CompactParts): Uint8Array | null {
  const ciphertext = Buffer.from(parts.ciphertext, 'base64url')
  if (ciphertext.toString('base64url') !== parts.ciphertext) return null
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      key as KeyObject,
      Buffer.from(parts.iv, 'base64url'),
      { authTagLength: 16 },
    )
    decipher.setAAD(Buffer.from(parts.header, 'latin1'))
    decipher.setAuthTag(Buffer.from(parts.tag, 'base64url'))
    const head = decipher.update(ciphertext)
    const tail = decipher.final()
    return tail.length === 0 ? head : Buffer.concat([head, tail])
  } catch {
    return null
  }
}

/** {@link SealBackend.base64url}: Node's native encoder. */
export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/** {@link SealBackend.decodeBase64url}: canonical when re-encoding gives back the same string. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  const bytes = Buffer.from(text, 'base64url')
  return bytes.toString('base64url') === text ? bytes : undefined
}

/** {@link SealBackend.sha256}, synchronous. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url')
}
