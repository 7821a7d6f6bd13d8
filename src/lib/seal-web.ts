/**
 * The `#seal` backend everywhere but Node: `jose` on WebCrypto (asynchronous AES-GCM). See
 * `seal.ts`.
 *
 * @module
 */
import { CompactEncrypt, base64url, compactDecrypt } from 'jose'
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

/** {@link SealBackend.sha256} with WebCrypto. */
export async function sha256(text: string): Promise<string> {
  return base64url.encode(
    new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))),
  )
}
