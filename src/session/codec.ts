/**
 * Sealing: JSON → JWE compact (`dir` + `A256GCM`). Keys are derived once per secret and purpose
 * with HKDF-SHA-256; a `kid` derived the same way names the key, so opening never tries keys one
 * by one. The first secret seals; all of them open (rotation).
 *
 * AES-GCM runs in the `#seal` backend (`lib/seal-node.ts`, synchronous `node:crypto`, under the
 * package's `node` condition; `lib/seal-web.ts`, `jose` on WebCrypto, everywhere else); both write
 * the same bytes and accept the same values, parsed once by `lib/seal.ts`: only the exact header
 * this codec writes, canonical base64url, a 96-bit IV and a 128-bit tag.
 *
 * @module
 */
import * as backend from '#seal'
import { base64url } from 'jose'
import { SealError } from '../errors.js'
import {
  MAX_SEALED,
  foreignKid,
  parseCompact,
  sealHeader,
  type SealBackend,
  type SealHeader,
  type SealKey,
} from '../lib/seal.js'

const seal: SealBackend = backend
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** Which AES-GCM backend this build runs (`node` or `web`). @internal */
export const sealBackend: 'node' | 'web' = seal.backend

interface DerivedKey {
  kid: string
  key: SealKey
  header: SealHeader
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
  const kid = base64url.encode(new Uint8Array(id))
  const key = await seal.importKey(new Uint8Array(raw))
  return { kid, key, header: sealHeader(kid) }
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
  // Once derived: the keys by the exact base64url of their header (one map lookup per open).
  let ready: { current: DerivedKey; byHeader: Map<string, DerivedKey> } | undefined
  const getKeys = () => {
    keys ??= Promise.all(secrets.map((secret) => deriveKey(secret, purpose))).then(
      (all) => {
        const [current] = all
        if (!current) throw new SealError('no sealing key')
        ready = { current, byHeader: new Map(all.map((key) => [key.header.segment, key])) }
        return all
      },
      (error: unknown) => {
        keys = undefined
        throw error
      },
    )
    return keys
  }

  /**
   * Decrypt a sealed value with the key its header names (no trial decryption). Only the header
   * this codec writes, canonical base64url, a 96-bit IV and a 128-bit tag are accepted (see
   * `parseCompact`); synchronous after the first call on the Node backend.
   */
  async function open(sealed: string): Promise<{ plaintext: Uint8Array; stale: boolean }> {
    if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > MAX_SEALED) {
      throw new SealError('sealed value is empty or too large')
    }
    if (!ready) await getKeys()
    const { current, byHeader } = ready!
    const parsed = parseCompact(sealed, byHeader)
    if (!parsed) {
      const kid = foreignKid(sealed)
      throw new SealError(
        kid !== undefined && ![...byHeader.values()].some((key) => key.kid === kid)
          ? 'sealed under an unknown key'
          : 'sealed value is invalid',
      )
    }
    let plaintext = seal.decrypt(parsed.entry.key, parsed.parts)
    if (plaintext instanceof Promise) plaintext = await plaintext
    if (plaintext === null) throw new SealError('sealed value is invalid')
    return { plaintext, stale: parsed.entry !== current }
  }

  async function encrypt(plaintext: Uint8Array): Promise<string> {
    if (!ready) await getKeys()
    const { current } = ready!
    return seal.encrypt(current.key, current.header, plaintext)
  }

  return {
    seal(value, expiresAt) {
      return encrypt(encoder.encode(JSON.stringify({ v: value, e: expiresAt })))
    },

    async unseal(sealed, now) {
      const { plaintext, stale } = await open(sealed)
      return { value: openEnvelope(plaintext, now), stale }
    },

    sealBytes(bytes, expiresAt) {
      const plaintext = new Uint8Array(4 + bytes.length)
      new DataView(plaintext.buffer).setUint32(0, clampSeconds(expiresAt))
      plaintext.set(bytes, 4)
      return encrypt(plaintext)
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
  return seal.encrypt(await backendKey(key), OWNER_HEADER, plaintext)
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
  if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > MAX_SEALED) {
    throw new SealError('sealed value is empty or too large')
  }
  if (!isAesKey(key)) throw new SealError('key must be 32 bytes or an AES-GCM CryptoKey')
  const parsed = parseCompact(sealed, OWNER_HEADERS)
  if (!parsed) throw new SealError('sealed value is invalid')
  let backendKeyOf = backendKey(key)
  if (backendKeyOf instanceof Promise) backendKeyOf = await backendKeyOf
  let plaintext = seal.decrypt(backendKeyOf, parsed.parts)
  if (plaintext instanceof Promise) plaintext = await plaintext
  if (plaintext === null) throw new SealError('sealed value is invalid')
  return openEnvelope(plaintext, now)
}

/** The header of {@link sealWithKey} (no `kid`: the key travels apart). */
const OWNER_HEADER = sealHeader()
const OWNER_HEADERS = new Map([[OWNER_HEADER.segment, OWNER_HEADER]])

/** Backend keys of `CryptoKey`s already seen (a key import per call costs a round trip). */
const backendKeys = new WeakMap<CryptoKey, SealKey | Promise<SealKey>>()

function backendKey(key: Uint8Array | CryptoKey): SealKey | Promise<SealKey> {
  if (key instanceof Uint8Array) return seal.importKey(key)
  let found = backendKeys.get(key)
  if (!found) {
    found = seal.importKey(key)
    backendKeys.set(key, found)
  }
  return found
}
