/**
 * The session codec's crypto backend, chosen per runtime through the package's `#seal` subpath
 * import: `seal-node.ts` (`node:crypto` AES-256-GCM, synchronous) under the `node` condition,
 * `seal-web.ts` (`jose` on WebCrypto) everywhere else. This file holds what both share: the
 * backend's shape and the parsing of a compact JWE, so both accept exactly the same values (one
 * canonical spelling of each) and differ only in who runs AES-GCM.
 *
 * @module
 */

/** A key as a backend holds it (a `KeyObject` on Node, a `CryptoKey` on WebCrypto). */
export type SealKey = object

/** The protected header a value is sealed under: its object and its exact base64url spelling. */
export interface SealHeader {
  readonly object: { readonly alg: 'dir'; readonly enc: 'A256GCM'; readonly kid?: string }
  /** base64url of `JSON.stringify(object)`: what jose writes, and the AAD. */
  readonly segment: string
}

/** The five segments of a compact JWE that passed {@link parseCompact}. */
export interface CompactParts {
  readonly compact: string
  readonly header: string
  readonly iv: string
  readonly ciphertext: string
  readonly tag: string
}

/** What `#seal` exports (both backends satisfy it). */
export interface SealBackend {
  /** `node` or `web`. */
  readonly backend: 'node' | 'web'
  /** A backend key from 32 raw bytes or an AES-GCM `CryptoKey`. */
  importKey(key: Uint8Array | CryptoKey): SealKey | Promise<SealKey>
  /** AES-256-GCM under a random 96-bit IV: the compact JWE, byte for byte what jose writes. */
  encrypt(key: SealKey, header: SealHeader, plaintext: Uint8Array): string | Promise<string>
  /**
   * The plaintext, or `null` when the tag does not verify or the ciphertext segment is not
   * canonical base64url ({@link parseCompact} checks every other segment; the ciphertext, the
   * long one, is checked where it is decoded: Node compares a re-encoding, the Web backend runs
   * {@link isCanonicalSegment}).
   */
  decrypt(key: SealKey, parts: CompactParts): Uint8Array | null | Promise<Uint8Array | null>
  /** base64url without padding (session tokens stored as raw bytes). */
  base64url(bytes: Uint8Array): string
  /** The bytes of a canonical base64url string (see {@link isCanonicalSegment}), else `undefined`. */
  decodeBase64url(text: string): Uint8Array | undefined
  /** base64url SHA-256 of the UTF-8 text (Redis key names). */
  sha256(text: string): string | Promise<string>
}

const SEXTET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const CHARSET = /^[A-Za-z0-9_-]*$/
const encoder = new TextEncoder()

/** base64url without padding (ASCII input only: a JSON header of ASCII strings). */
function base64urlAscii(text: string): string {
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * The header {@link SealBackend.encrypt} writes for `kid` (none for a raw owner key), with its
 * exact spelling: the one spelling {@link parseCompact} accepts.
 */
export function sealHeader(kid?: string): SealHeader {
  const object =
    kid === undefined ? { alg: 'dir', enc: 'A256GCM' } : { alg: 'dir', enc: 'A256GCM', kid }
  const json = JSON.stringify(object)
  if (encoder.encode(json).length !== json.length) throw new TypeError('kid must be ASCII')
  return { object: object as SealHeader['object'], segment: base64urlAscii(json) }
}

/**
 * `true` when a base64url segment is canonical: the alphabet only, no padding, a length that is
 * not 1 modulo 4, and the unused low bits of its last character zero (decoders ignore them, so
 * without this one value would have several accepted spellings).
 */
export function isCanonicalSegment(segment: string): boolean {
  if (!CHARSET.test(segment)) return false
  const rest = segment.length & 3
  if (rest === 0) return true
  if (rest === 1) return false
  const bits = SEXTET.indexOf(segment.charAt(segment.length - 1))
  return rest === 2 ? (bits & 15) === 0 : (bits & 3) === 0
}

/** Largest sealed value either backend looks at (1 MiB). */
export const MAX_SEALED = 1 << 20

/**
 * Split a compact JWE sealed by this library: five segments, the header one of `headers` spelled
 * exactly as {@link sealHeader} writes it, no encrypted key (`dir`), a 96-bit IV, a 128-bit tag,
 * both canonical base64url (the ciphertext's spelling is checked by the backend as it decodes it:
 * see {@link SealBackend.decrypt}).
 *
 * @returns the parts and the header's entry, or `undefined` for anything else
 */
export function parseCompact<T>(
  sealed: unknown,
  headers: ReadonlyMap<string, T>,
): { parts: CompactParts; entry: T } | undefined {
  if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > MAX_SEALED) return
  const a = sealed.indexOf('.')
  if (a < 0 || sealed.charCodeAt(a + 1) !== 46) return // `..`: the encrypted key is empty
  const b = a + 1
  const c = sealed.indexOf('.', b + 1)
  const d = c < 0 ? -1 : sealed.indexOf('.', c + 1)
  if (d < 0 || sealed.indexOf('.', d + 1) >= 0) return
  const entry = headers.get(sealed.slice(0, a))
  if (entry === undefined) return
  const iv = sealed.slice(b + 1, c)
  const ciphertext = sealed.slice(c + 1, d)
  const tag = sealed.slice(d + 1)
  if (iv.length !== 16 || tag.length !== 22) return
  if (!isCanonicalSegment(iv) || !isCanonicalSegment(tag)) return
  return { parts: { compact: sealed, header: sealed.slice(0, a), iv, ciphertext, tag }, entry }
}

/**
 * The `kid` of a compact JWE's protected header when it is a well-formed `dir` + `A256GCM`
 * header (to tell "sealed under a key we no longer have" from garbage in an error message).
 */
export function foreignKid(sealed: string): string | undefined {
  const end = sealed.indexOf('.')
  if (end <= 0) return
  try {
    const segment = sealed.slice(0, end).replace(/-/g, '+').replace(/_/g, '/')
    const header = JSON.parse(atob(segment)) as { alg?: unknown; enc?: unknown; kid?: unknown }
    if (header.alg === 'dir' && header.enc === 'A256GCM' && typeof header.kid === 'string')
      return header.kid
  } catch {
    // not a header
  }
  return
}
