/**
 * The session model and its compact wire form.
 *
 * @module
 */
import type { TokenSet } from '../tokens/token-set.js'

/** One user's session. Times are seconds since the epoch. */
export interface Session {
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
}

/** Compact form stored in cookies and stateful stores (short keys, nothing duplicated). */
interface WireSession {
  i: string
  v: number
  c: number
  x: number
  s: string
  d?: string
  a: string
  t: string
  e?: number
  r?: string
  o?: string
  p?: string
}

/** Encode a session to its compact JSON-able form. */
export function encodeSession(session: Session): WireSession {
  const { tokens } = session
  const wire: WireSession = {
    i: session.id,
    v: session.version,
    c: session.createdAt,
    x: session.expiresAt,
    s: session.sub,
    a: tokens.accessToken,
    t: tokens.tokenType,
  }
  if (session.sid !== undefined) wire.d = session.sid
  if (tokens.expiresAt !== undefined) wire.e = tokens.expiresAt
  if (tokens.refreshToken !== undefined) wire.r = tokens.refreshToken
  if (tokens.idToken !== undefined) wire.o = tokens.idToken
  if (tokens.scope !== undefined) wire.p = tokens.scope
  return wire
}

const str = (value: unknown): value is string => typeof value === 'string'
const num = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)
const optional = <T>(value: unknown, check: (v: unknown) => v is T): value is T | undefined =>
  value === undefined || check(value)

/** Decode the compact form; anything malformed gives `null`, never an exception. */
export function decodeSession(value: unknown): Session | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const w = value as Record<string, unknown>
  if (!str(w.i) || !num(w.v) || !num(w.c) || !num(w.x) || !str(w.s) || !str(w.a) || !str(w.t))
    return null
  if (
    !optional(w.d, str) ||
    !optional(w.e, num) ||
    !optional(w.r, str) ||
    !optional(w.o, str) ||
    !optional(w.p, str)
  ) {
    return null
  }
  const tokens: TokenSet = { accessToken: w.a, tokenType: w.t }
  if (w.e !== undefined) tokens.expiresAt = w.e
  if (w.r !== undefined) tokens.refreshToken = w.r
  if (w.o !== undefined) tokens.idToken = w.o
  if (w.p !== undefined) tokens.scope = w.p
  return {
    id: w.i,
    version: w.v,
    createdAt: w.c,
    expiresAt: w.x,
    sub: w.s,
    ...(w.d !== undefined ? { sid: w.d } : {}),
    tokens,
  }
}
