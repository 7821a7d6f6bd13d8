/**
 * The `#seal` backend everywhere but Node: `jose` on WebCrypto (asynchronous AES-GCM). See
 * `seal.ts`.
 *
 * @module
 */
import { CompactEncrypt, base64url as joseBase64url, compactDecrypt } from 'jose'
import { isCanonicalSegment } from './seal.js'
import type { CompactParts, SealBackend, SealHeader, SealKey } from './seal.js'

const encoder = new TextEncoder()

/** Which backend this is. */
export const backend = 'web' satisfies SealBackend['backend']

/** {@link SealBackend.importKey}: a non-extractable AES-GCM `CryptoKey`. */
export async function importKey(key: Uint8Array | CryptoKey): Promise<SealKey> {
  if (key instanceof Uint8Array) {
    return crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ])
  }
  return key
}

/** {@link SealBackend.encrypt} with jose. */
export function encrypt(key: SealKey, header: SealHeader, plaintext: Uint8Array): Promise<string> {
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ ...header.object })
    .encrypt(key as CryptoKey)
}

/** {@link SealBackend.decrypt} with jose (`dir` + `A256GCM` only). */
export async function decrypt(key: SealKey, parts: CompactParts): Promise<Uint8Array | null> {
  if (!isCanonicalSegment(parts.ciphertext)) return null
  try {
    const { plaintext } = await compactDecrypt(parts.compact, key as CryptoKey, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    })
    return plaintext
  } catch {
    return null
  }
}

const CODES = Uint8Array.from(
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
  (c) => c.charCodeAt(0),
)
/** ASCII bytes → string; a `TextDecoder` call beats building the string character by character. */
const ascii = new TextDecoder('latin1')

/**
 * {@link SealBackend.base64url}: several times faster than `jose`'s encoder (this runs for every
 * token of every session load).
 */
export function base64url(bytes: Uint8Array): string {
  const length = bytes.length
  const out = new Uint8Array(Math.ceil((length * 4) / 3))
  const whole = length - (length % 3)
  let i = 0
  let o = 0
  for (; i < whole; i += 3) {
    const n =
      ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number)
    out[o++] = CODES[n >> 18] as number
    out[o++] = CODES[(n >> 12) & 63] as number
    out[o++] = CODES[(n >> 6) & 63] as number
    out[o++] = CODES[n & 63] as number
  }
  if (length - whole === 1) {
    const n = bytes[i] as number
    out[o++] = CODES[n >> 2] as number
    out[o++] = CODES[(n << 4) & 63] as number
  } else if (length - whole === 2) {
    const n = ((bytes[i] as number) << 8) | (bytes[i + 1] as number)
    out[o++] = CODES[n >> 10] as number
    out[o++] = CODES[(n >> 4) & 63] as number
    out[o++] = CODES[(n << 2) & 63] as number
  }
  return ascii.decode(out.subarray(0, o))
}

/** {@link SealBackend.decodeBase64url} with jose's decoder, after the canonical check. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  if (!isCanonicalSegment(text)) return undefined
  try {
    return joseBase64url.decode(text)
  } catch {
    return undefined
  }
}

/** {@link SealBackend.sha256} with WebCrypto. */
export async function sha256(text: string): Promise<string> {
  return joseBase64url.encode(
    new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))),
  )
}
