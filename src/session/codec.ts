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
const decoder = new TextDecoder('utf-8', { fatal: true })
const CHARSET = /^[A-Za-z0-9_.-]+$/
const SEXTET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * `true` when every base64url segment of a compact JWE is in canonical form: only the alphabet,
 * no padding, and the unused low bits of a segment's last character zero. Decoders ignore those
 * bits, so without this check one sealed value would have several accepted spellings.
 */
function isCanonical(compact: string): boolean {
  if (!CHARSET.test(compact)) return false
  for (const segment of compact.split('.')) {
    const rest = segment.length & 3
    if (rest === 1) return false
    if (rest === 0) continue
    const bits = SEXTET.indexOf(segment.charAt(segment.length - 1))
    if ((rest === 2 && (bits & 15) !== 0) || (rest === 3 && (bits & 3) !== 0)) return false
  }
  return true
}

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
  /**
   * Seal raw bytes so that they open until `expiresAt` (seconds since the epoch, stored as a
   * 32-bit integer in front of the bytes inside the ciphertext).
   * @returns a JWE in compact serialisation
   */
  sealBytes(bytes: Uint8Array, expiresAt: number): Promise<string>
  /**
   * Open what {@link Sealer.sealBytes} sealed.
   * @param now seconds since the epoch
   * @returns the bytes, their expiry, and whether a previous key sealed them (re-seal them)
   * @throws {@link SealError} `ERR_SEAL_INVALID` for anything tampered, truncated, expired or foreign
   */
  unsealBytes(
    sealed: string,
    now: number,
  ): Promise<{ bytes: Uint8Array; expiresAt: number; stale: boolean }>
}

/**
 * Create a {@link Sealer} for one purpose (`session`, `transaction`, …): the same secret gives
 * unrelated keys for different purposes.
 *
 * @param secrets current secret first, then previous ones (already validated)
 * @param purpose domain separation label
 * @returns the {@link Sealer}
 * @example
 * ```ts
 * const sealer = createSealer([current, previous], 'session')
 * const { value } = await sealer.unseal(await sealer.seal({ a: 1 }, now + 60), now)
 * ```
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

  /**
   * Decrypt a sealed value with `jose`, using the key its `kid` names (no trial decryption). Only
   * `dir` + `A256GCM` is accepted, and only canonical base64url (see `isCanonical`).
   */
  async function open(sealed: string): Promise<{ plaintext: Uint8Array; stale: boolean }> {
    if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > 1 << 20) {
      throw new SealError('sealed value is empty or too large')
    }
    if (!isCanonical(sealed)) throw new SealError('sealed value is invalid')
    const all = await getKeys()
    let index = -1
    try {
      const { plaintext } = await compactDecrypt(
        sealed,
        (header) => {
          index = all.findIndex((candidate) => candidate.kid === header.kid)
          const found = all[index]
          if (!found) throw new SealError('sealed under an unknown key')
          return found.key
        },
        { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] },
      )
      return { plaintext, stale: index > 0 }
    } catch (error) {
      throw error instanceof SealError
        ? error
        : new SealError('sealed value is invalid', { cause: error })
    }
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
      const { plaintext, stale } = await open(sealed)
      return { value: openEnvelope(plaintext, now), stale }
    },

    async sealBytes(bytes, expiresAt) {
      const [current] = await getKeys()
      if (!current) throw new SealError('no sealing key')
      const plaintext = new Uint8Array(4 + bytes.length)
      new DataView(plaintext.buffer).setUint32(0, clampSeconds(expiresAt))
      plaintext.set(bytes, 4)
      return new CompactEncrypt(plaintext)
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: current.kid })
        .encrypt(current.key)
    },

    async unsealBytes(sealed, now) {
      const { plaintext, stale } = await open(sealed)
      if (plaintext.length < 4) throw new SealError('sealed value has no expiry')
      const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength)
      const expiresAt = view.getUint32(0)
      if (expiresAt <= now) throw new SealError('sealed value has expired')
      return { bytes: plaintext.subarray(4), expiresAt, stale }
    },
  }
}

/** A 32-byte raw key, or an imported AES-GCM `CryptoKey`. */
function isAesKey(key: unknown): key is Uint8Array | CryptoKey {
  if (key instanceof Uint8Array) return key.length === 32
  return (
    typeof CryptoKey !== 'undefined' && key instanceof CryptoKey && key.algorithm.name === 'AES-GCM'
  )
}

/**
 * Import a 32-byte raw key once as a non-extractable AES-GCM `CryptoKey` (cache the result:
 * importing on every call costs a WebCrypto round trip).
 */
export function importAesKey(raw: Uint8Array): Promise<CryptoKey> {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) throw new SealError('key must be 32 bytes')
  return crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ])
}

/**
 * Parse the `{ v, e }` JSON envelope that {@link Sealer.seal} and {@link sealWithKey} encrypt.
 * @returns `v`
 * @throws {@link SealError} when it is not JSON, has no expiry, or `e <= now`
 */
function openEnvelope(plaintext: Uint8Array, now: number): unknown {
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
  return v
}

/** Seconds since the epoch as an unsigned 32-bit integer (rounded down: never opens later). */
function clampSeconds(seconds: number): number {
  return Number.isFinite(seconds) ? Math.min(0xffffffff, Math.max(0, Math.floor(seconds))) : 0
}

/**
 * Seal `value` under a raw 256-bit key that only its owner holds (the Redis store keeps the key in
 * the browser's ticket, so the stored value opens for nobody else): JWE compact, `dir` + `A256GCM`,
 * with the same `{ v, e }` envelope as {@link createSealer}.
 *
 * @param value JSON-able value
 * @param key 32 random bytes
 * @param expiresAt seconds since the epoch after which the value no longer opens
 * @returns a JWE in compact serialisation
 * @throws {@link SealError} `ERR_SEAL_INVALID` when `key` is not 32 bytes
 * @example
 * ```ts
 * const key = crypto.getRandomValues(new Uint8Array(32))
 * const sealed = await sealWithKey({ hello: 'world' }, key, now + 3600)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7516 (JWE)
 */
export async function sealWithKey(
  value: unknown,
  key: Uint8Array | CryptoKey,
  expiresAt: number,
): Promise<string> {
  if (!isAesKey(key)) throw new SealError('key must be 32 bytes or an AES-GCM CryptoKey')
  const plaintext = encoder.encode(JSON.stringify({ v: value, e: expiresAt }))
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .encrypt(key)
}

/**
 * Open a value sealed by {@link sealWithKey}.
 *
 * @param sealed the JWE
 * @param key the 32-byte key it was sealed with
 * @param now seconds since the epoch
 * @returns the value
 * @throws {@link SealError} `ERR_SEAL_INVALID` for anything tampered, truncated, expired, foreign
 *   (another key) or not JSON; the message `sealed value has expired` marks expiry
 * @example
 * ```ts
 * const value = await unsealWithKey(sealed, key, now)
 * ```
 */
export async function unsealWithKey(
  sealed: string,
  key: Uint8Array | CryptoKey,
  now: number,
): Promise<unknown> {
  if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > 1 << 20) {
    throw new SealError('sealed value is empty or too large')
  }
  if (!isAesKey(key)) throw new SealError('key must be 32 bytes or an AES-GCM CryptoKey')
  let plaintext: Uint8Array
  try {
    plaintext = (
      await compactDecrypt(sealed, key, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      })
    ).plaintext
  } catch (error) {
    throw new SealError('sealed value is invalid', { cause: error })
  }
  return openEnvelope(plaintext, now)
}
