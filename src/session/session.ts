/**
 * The session model and its compact wire form.
 *
 * @module
 */
import { decodeBase64url, base64url as encodeBase64url } from '#seal'
import { decodeJwt } from 'jose'
import { jwtClaims } from '../tokens/claims.js'
import type { TokenSet } from '../tokens/token-set.js'

/**
 * Application data kept in a session (`createOidcSession<MyData>()`): a JSON-compatible object,
 * sealed with the rest and counted in the cookie budget.
 */
export type SessionData = Record<string, unknown>

/** One user's session. Times are seconds since the epoch. */
export interface Session<TData extends SessionData = SessionData> {
  /** Random identifier, stable for the session's life (events, logs, single-flight keys). */
  readonly id: string
  /** Incremented at every save; stateful stores write with compare-and-set on it. */
  version: number
  /** When the user logged in. */
  readonly createdAt: number
  /** Absolute end of the session, whatever the tokens say. */
  readonly expiresAt: number
  /** The user (`sub` of the id_token). */
  readonly sub: string
  /** The provider's session id (`sid`), when the provider sends one (back-channel logout). */
  readonly sid?: string
  tokens: TokenSet
  /**
   * Access tokens for other resources (RFC 8707), oldest first, each with its own expiry: see
   * `accessToken(request, { resource })`. Replaced as a whole on update, never mutated.
   */
  resourceTokens?: readonly ResourceToken[]
  /**
   * The session's DPoP key pair (RFC 9449), as a private JWK sealed under a key derived from the
   * app's secrets: a copy of the session alone cannot sign proofs for its sender-constrained tokens.
   */
  readonly dpopKey?: string
  /**
   * Last request that touched the session (seconds since the epoch), for the idle lifetime
   * (`session.idle`). Written at most every `session.touchAfter` seconds; absent until then, when
   * `createdAt` stands for it.
   */
  lastSeenAt?: number
  /**
   * Application data: what `hooks.onCallback` put there and `updateSession()` changed. Sealed with
   * the rest of the session, counted in the cookie budget, kept across refreshes.
   */
  data?: TData
  /** The `acr` of the login (Authentication Context Class Reference), when the provider said. */
  readonly acr?: string
  /** When the user authenticated at the provider (`auth_time`), when the provider said. */
  readonly authTime?: number
  /** The browser's `User-Agent` at login, when `session.userAgent` is on (session listing). */
  readonly userAgent?: string
}

/** An access token for one resource (RFC 8707), cached in the session. Times are seconds since the epoch. */
export interface ResourceToken {
  /** The resource indicator (or audience) the token is for. */
  readonly resource: string
  readonly accessToken: string
  /** `bearer` or `dpop`, as the provider said. */
  readonly tokenType: string
  readonly expiresAt?: number
  readonly issuedAt?: number
}

/**
 * Compact form stored in cookies and stateful stores (short keys, nothing duplicated): `s` (sub)
 * and `d` (sid) are left out when the id_token carries the same values, and restored from it on
 * decode; `d: null` records "no sid" for an id_token that has one.
 */
interface WireSession {
  i: string
  v: number
  c: number
  x: number
  s?: string
  d?: string | null
  a: string
  t: string
  e?: number
  b?: number
  r?: string
  /** `refreshExpiresAt`. */
  q?: number
  o?: string
  p?: string
  /** Per-resource tokens: resource, access token, type, expiry, issue time. */
  g?: WireResourceToken[]
  /** Sealed DPoP key. */
  k?: string
  /** `lastSeenAt`. */
  l?: number
  /** Application data. */
  u?: Record<string, unknown>
  /** `acr`. */
  ac?: string
  /** `authTime`. */
  at?: number
  /** `userAgent`. */
  ua?: string
}

interface WireResourceToken {
  u: string
  a: string
  t: string
  e?: number
  b?: number
}

/** `sub` and `sid` of an id_token's payload (not verified: it was verified when received). */
function claimsOfIdToken(
  idToken: string | undefined,
): { sub?: unknown; sid?: unknown } | undefined {
  return idToken === undefined ? undefined : jwtClaims(idToken)
}

/**
 * Encode a session to its compact JSON-able form.
 *
 * @param session the session
 * @returns a plain object of short keys; `sub`/`sid` are omitted when the id_token carries them
 * @example
 * ```ts
 * const wire = encodeSession(session) // store JSON.stringify(wire), then decodeSession(JSON.parse(…))
 * ```
 */
export function encodeSession(session: Session): WireSession {
  const { tokens } = session
  const wire: WireSession = {
    i: session.id,
    v: session.version,
    c: session.createdAt,
    x: session.expiresAt,
    a: tokens.accessToken,
    t: tokens.tokenType,
  }
  const claims = claimsOfIdToken(tokens.idToken)
  if (claims?.sub !== session.sub) wire.s = session.sub
  if (session.sid !== undefined) {
    if (claims?.sid !== session.sid) wire.d = session.sid
  } else if (claims?.sid !== undefined) {
    wire.d = null
  }
  if (tokens.expiresAt !== undefined) wire.e = tokens.expiresAt
  if (tokens.issuedAt !== undefined) wire.b = tokens.issuedAt
  if (tokens.refreshToken !== undefined) wire.r = tokens.refreshToken
  if (tokens.refreshExpiresAt !== undefined) wire.q = tokens.refreshExpiresAt
  if (tokens.idToken !== undefined) wire.o = tokens.idToken
  if (tokens.scope !== undefined) wire.p = tokens.scope
  if (session.resourceTokens !== undefined && session.resourceTokens.length > 0) {
    wire.g = session.resourceTokens.map((token) => {
      const entry: WireResourceToken = {
        u: token.resource,
        a: token.accessToken,
        t: token.tokenType,
      }
      if (token.expiresAt !== undefined) entry.e = token.expiresAt
      if (token.issuedAt !== undefined) entry.b = token.issuedAt
      return entry
    })
  }
  if (session.dpopKey !== undefined) wire.k = session.dpopKey
  if (session.lastSeenAt !== undefined) wire.l = session.lastSeenAt
  if (session.data !== undefined) wire.u = session.data as Record<string, unknown>
  if (session.acr !== undefined) wire.ac = session.acr
  if (session.authTime !== undefined) wire.at = session.authTime
  if (session.userAgent !== undefined) wire.ua = session.userAgent
  return wire
}

/** The per-resource tokens of a wire session, or `null` when malformed. */
function resourceTokensOf(value: unknown): ResourceToken[] | null {
  if (!Array.isArray(value)) return null
  const tokens: ResourceToken[] = []
  for (const entry of value as unknown[]) {
    if (typeof entry !== 'object' || entry === null) return null
    const e = entry as Record<string, unknown>
    if (!str(e.u) || !str(e.a) || !str(e.t) || !optional(e.e, num) || !optional(e.b, num))
      return null
    tokens.push({
      resource: e.u,
      accessToken: e.a,
      tokenType: e.t,
      ...(e.e !== undefined ? { expiresAt: e.e } : {}),
      ...(e.b !== undefined ? { issuedAt: e.b } : {}),
    })
  }
  return tokens
}

const str = (value: unknown): value is string => typeof value === 'string'
const num = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)
const optional = <T>(value: unknown, check: (v: unknown) => v is T): value is T | undefined =>
  value === undefined || check(value)

/**
 * Decode the compact form; anything malformed gives `null`, never an exception.
 *
 * @param value what {@link encodeSession} produced, after a JSON round trip
 * @returns the session, or `null`
 * @example
 * ```ts
 * const session = decodeSession(JSON.parse(stored))
 * ```
 */
export function decodeSession(value: unknown): Session | null {
  return fromWire(value, claimsOfIdToken)
}

/** {@link decodeSession}, reading the id_token's claims with `claimsOf` when `sub`/`sid` were left out. */
function fromWire(
  value: unknown,
  claimsOf: (idToken: string | undefined) => { sub?: unknown; sid?: unknown } | undefined,
): Session | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const w = value as Record<string, unknown>
  if (!str(w.i) || !num(w.v) || !num(w.c) || !num(w.x) || !str(w.a) || !str(w.t)) return null
  if (
    !optional(w.s, str) ||
    !(w.d === undefined || w.d === null || str(w.d)) ||
    !optional(w.e, num) ||
    !optional(w.b, num) ||
    !optional(w.r, str) ||
    !optional(w.q, num) ||
    !optional(w.o, str) ||
    !optional(w.p, str) ||
    !optional(w.k, str) ||
    !optional(w.l, num) ||
    !optional(w.ac, str) ||
    !optional(w.at, num) ||
    !optional(w.ua, str) ||
    !(w.u === undefined || (typeof w.u === 'object' && w.u !== null && !Array.isArray(w.u)))
  ) {
    return null
  }
  const resourceTokens = w.g === undefined ? undefined : resourceTokensOf(w.g)
  if (resourceTokens === null) return null
  let sub: unknown = w.s
  let sid: unknown = w.d
  if (sub === undefined || sid === undefined) {
    const claims = claimsOf(w.o as string | undefined)
    sub ??= claims?.sub
    if (sid === undefined && str(claims?.sid)) sid = claims.sid
  }
  if (!str(sub)) return null
  const tokens: TokenSet = { accessToken: w.a, tokenType: w.t }
  if (w.e !== undefined) tokens.expiresAt = w.e
  if (w.b !== undefined) tokens.issuedAt = w.b
  if (w.r !== undefined) tokens.refreshToken = w.r
  if (w.q !== undefined) tokens.refreshExpiresAt = w.q
  if (w.o !== undefined) tokens.idToken = w.o
  if (w.p !== undefined) tokens.scope = w.p
  return {
    id: w.i,
    version: w.v,
    createdAt: w.c,
    expiresAt: w.x,
    sub,
    ...(typeof sid === 'string' ? { sid } : {}),
    tokens,
    ...(resourceTokens !== undefined && resourceTokens.length > 0 ? { resourceTokens } : {}),
    ...(w.k !== undefined ? { dpopKey: w.k } : {}),
    ...(w.l !== undefined ? { lastSeenAt: w.l } : {}),
    ...(w.u !== undefined ? { data: w.u as SessionData } : {}),
    ...(w.ac !== undefined ? { acr: w.ac } : {}),
    ...(w.at !== undefined ? { authTime: w.at } : {}),
    ...(w.ua !== undefined ? { userAgent: w.ua } : {}),
  }
}

/**
 * The claims of the session's id_token (decoded, not re-verified: it was verified when received),
 * or `{ sub }` when the session has no id_token.
 *
 * @param session the session
 * @returns the claims
 * @example
 * ```ts
 * const { email, name } = idTokenClaims(result.session)
 * ```
 */
export function idTokenClaims(session: Session): Record<string, unknown> {
  if (session.tokens.idToken === undefined) return { sub: session.sub }
  try {
    return decodeJwt(session.tokens.idToken)
  } catch {
    return { sub: session.sub }
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
const PACK_FORMAT = 1
/** Token fields that may travel as raw bytes (then each per-resource token, in order). */
const BINARY_FIELDS = ['a', 'r', 'o', 'k'] as const

/**
 * Rebuild a token from its segment sizes and the packed bytes from `offset` on.
 * @returns the token, where its bytes end, and its second segment's raw bytes (a JWT's payload)
 */
function readToken(
  bytes: Uint8Array,
  offset: number,
  sizes: unknown[],
): { token: string; end: number; payload: Uint8Array | undefined } | null {
  if (sizes.length === 0 || sizes.length > 8) return null
  let total = 0
  for (const size of sizes) {
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) return null
    total += size
  }
  if (offset + total > bytes.length) return null
  let token = ''
  let payload: Uint8Array | undefined
  for (let k = 0; k < sizes.length; k++) {
    const segment = bytes.subarray(offset, offset + (sizes[k] as number))
    if (k === 1) payload = segment
    // The backend's encoder: Node's native one under the `node` condition.
    token = k === 0 ? encodeBase64url(segment) : `${token}.${encodeBase64url(segment)}`
    offset += segment.length
  }
  return { token, end: offset, payload }
}

/** Raw bytes of each `.`-separated base64url segment, or `undefined` if not canonical base64url. */
function segmentBytes(token: string): Uint8Array[] | undefined {
  const segments = token.split('.')
  const out: Uint8Array[] = []
  for (const segment of segments) {
    // Only canonical segments (they re-encode to themselves) are stored as bytes.
    const bytes = decodeBase64url(segment)
    if (bytes === undefined) return undefined
    out.push(bytes)
  }
  return out
}

/**
 * Pack a session into bytes for sealing: the compact form of {@link encodeSession} with tokens
 * made of base64url segments (JWTs, most opaque tokens) stored as raw bytes — a quarter smaller
 * once the sealed value is base64url-encoded again — and `tokenType` omitted when `Bearer`.
 *
 * @param session the session
 * @returns the packed bytes (format byte, header length, JSON header, token bytes)
 * @example
 * ```ts
 * const bytes = packSession(session) // → unpackSession(bytes)
 * ```
 */
export function packSession(session: Session): Uint8Array {
  const wire = encodeSession(session) as unknown as Record<string, unknown>
  if (wire.t === 'Bearer') delete wire.t
  const blobs: Uint8Array[] = []
  for (const field of BINARY_FIELDS) {
    const value = wire[field]
    if (typeof value !== 'string') continue
    const segments = segmentBytes(value)
    if (!segments) continue
    wire[field] = segments.map((bytes) => bytes.length)
    blobs.push(...segments)
  }
  for (const entry of (wire.g as Record<string, unknown>[] | undefined) ?? []) {
    const segments = typeof entry.a === 'string' ? segmentBytes(entry.a) : undefined
    if (!segments) continue
    entry.a = segments.map((bytes) => bytes.length)
    blobs.push(...segments)
  }
  const header = encoder.encode(JSON.stringify(wire))
  const size = blobs.reduce((sum, bytes) => sum + bytes.length, 5 + header.length)
  const out = new Uint8Array(size)
  out[0] = PACK_FORMAT
  new DataView(out.buffer).setUint32(1, header.length)
  out.set(header, 5)
  let offset = 5 + header.length
  for (const bytes of blobs) {
    out.set(bytes, offset)
    offset += bytes.length
  }
  return out
}

/**
 * Unpack what {@link packSession} produced; anything malformed gives `null`, never an exception.
 *
 * @param bytes packed session
 * @returns the session, or `null`
 * @example
 * ```ts
 * const session = unpackSession(packSession(session))
 * ```
 */
export function unpackSession(bytes: Uint8Array): Session | null {
  if (!(bytes instanceof Uint8Array) || bytes.length < 5 || bytes[0] !== PACK_FORMAT) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const length = view.getUint32(1)
  if (length > bytes.length - 5) return null
  let wire: unknown
  try {
    wire = JSON.parse(decoder.decode(bytes.subarray(5, 5 + length)))
  } catch {
    return null
  }
  if (typeof wire !== 'object' || wire === null || Array.isArray(wire)) return null
  const w = wire as Record<string, unknown>
  if (w.t === undefined) w.t = 'Bearer'
  let offset = 5 + length
  let idPayload: Uint8Array | undefined
  for (const field of BINARY_FIELDS) {
    const value = w[field]
    if (!Array.isArray(value)) continue
    const read = readToken(bytes, offset, value)
    if (!read) return null
    w[field] = read.token
    offset = read.end
    if (field === 'o' && value.length === 3) idPayload = read.payload
  }
  if (Array.isArray(w.g)) {
    for (const entry of w.g as unknown[]) {
      if (typeof entry !== 'object' || entry === null) return null
      const e = entry as Record<string, unknown>
      if (!Array.isArray(e.a)) continue
      const read = readToken(bytes, offset, e.a)
      if (!read) return null
      e.a = read.token
      offset = read.end
    }
  }
  if (offset !== bytes.length) return null
  // The id_token's payload is right here as raw JSON: no base64url decoding needed for sub/sid.
  return fromWire(w, (idToken) => {
    if (idPayload === undefined) return claimsOfIdToken(idToken)
    try {
      const claims: unknown = JSON.parse(decoder.decode(idPayload))
      return typeof claims === 'object' && claims !== null ? claims : undefined
    } catch {
      return undefined
    }
  })
}
