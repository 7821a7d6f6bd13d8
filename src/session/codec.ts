/**
 * Sealing: JSON → JWE compact (`dir` + `A256GCM`) with `jose`. Keys are derived once per secret
 * and purpose with HKDF-SHA-256 and cached as `CryptoKey`s; a `kid` derived the same way names the
 * key, so opening never tries keys one by one. The first secret seals; all of them open (rotation).
 *
 * @module
 */
import { CompactEncrypt, base64url, compactDecrypt } from 'jose'
import { SealError } from '../errors.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

interface DerivedKey {
  kid: string
  key: CryptoKey
}

async function hkdf(secret: string, info: string, bits: number): Promise<ArrayBuffer> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, [
    'deriveBits',
  ])
  return crypto.subtle.deriveBits(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: encoder.encode('oidc-session'),
      info: encoder.encode(info),
    },
    material,
    bits,
  )
}

async function deriveKey(secret: string, purpose: string): Promise<DerivedKey> {
  const [raw, id] = await Promise.all([
    hkdf(secret, `oidc-session ${purpose} A256GCM`, 256),
    hkdf(secret, `oidc-session ${purpose} kid`, 48),
  ])
  const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
  return { kid: base64url.encode(new Uint8Array(id)), key }
}

/** Seals and opens JSON values under a list of secrets. */
export interface Sealer {
  /**
   * Seal `value` so that it opens until `expiresAt` (seconds since the epoch).
   * @returns a JWE in compact serialisation (URL- and cookie-safe characters only)
   */
  seal(value: unknown, expiresAt: number): Promise<string>
  /**
   * Open a sealed value.
   * @param now seconds since the epoch
   * @returns the value, and whether it was sealed under a previous key (re-seal it)
   * @throws {@link SealError} `ERR_SEAL_INVALID` for anything tampered, truncated, expired or foreign
   */
  unseal(sealed: string, now: number): Promise<{ value: unknown; stale: boolean }>
}

/**
 * Create a {@link Sealer} for one purpose (`session`, `transaction`, …): the same secret gives
 * unrelated keys for different purposes.
 *
 * @param secrets current secret first, then previous ones (already validated)
 * @param purpose domain separation label
 */
export function createSealer(secrets: readonly string[], purpose: string): Sealer {
  let keys: Promise<DerivedKey[]> | undefined
  const getKeys = () => {
    keys ??= Promise.all(secrets.map((secret) => deriveKey(secret, purpose))).catch(
      (error: unknown) => {
        keys = undefined
        throw error
      },
    )
    return keys
  }

  return {
    async seal(value, expiresAt) {
      const [current] = await getKeys()
      if (!current) throw new SealError('no sealing key')
      const plaintext = encoder.encode(JSON.stringify({ v: value, e: expiresAt }))
      return new CompactEncrypt(plaintext)
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: current.kid })
        .encrypt(current.key)
    },

    async unseal(sealed, now) {
      if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > 1 << 20) {
        throw new SealError('sealed value is empty or too large')
      }
      const all = await getKeys()
      let index = -1
      let plaintext: Uint8Array
      try {
        const result = await compactDecrypt(
          sealed,
          (header) => {
            index = all.findIndex((candidate) => candidate.kid === header.kid)
            const found = all[index]
            if (!found) throw new SealError('sealed under an unknown key')
            return found.key
          },
          { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] },
        )
        plaintext = result.plaintext
      } catch (error) {
        throw error instanceof SealError
          ? error
          : new SealError('sealed value is invalid', { cause: error })
      }
      let parsed: unknown
      try {
        parsed = JSON.parse(decoder.decode(plaintext))
      } catch (error) {
        throw new SealError('sealed value is not JSON', { cause: error })
      }
      if (
        typeof parsed !== 'object' ||
        parsed === null ||
        typeof (parsed as { e?: unknown }).e !== 'number'
      ) {
        throw new SealError('sealed value has no expiry')
      }
      const { v, e } = parsed as { v: unknown; e: number }
      if (e <= now) throw new SealError('sealed value has expired')
      return { value: v, stale: index > 0 }
    },
  }
}
