/**
 * The cookie store: the whole session sealed into the cookies, chunked when it outgrows one.
 *
 * @module
 */
import { CookieTooLargeError, SealError, invalidArg } from '../../errors.js'
import { validateSecrets } from '../../lib/secrets.js'
import { setCookieLine, type CookieAttributes, type CookieJar } from '../../request/cookie-jar.js'
import { base64url as encodeBase64url } from '#seal'
import { createMemo } from '../../lib/memo.js'
import { createSealer } from '../../session/codec.js'
import { packSession, unpackSession, type Session } from '../../session/session.js'
import type { LoadResult, SessionStore, StoreContext } from '../types.js'

/** Options of {@link cookieStore}. */
export interface CookieStoreOptions {
  /** Current secret first, then previous ones (≥ 32 characters each). */
  secrets: string | readonly string[]
  /**
   * Longest `Set-Cookie` line, attributes included, in bytes. Default 4 050. Whatever the limit,
   * a cookie's name and value together never exceed 4 096 bytes (RFC 6265 §6.1 minimum).
   */
  maxCookieBytes?: number
  /**
   * Budget in bytes for all the session's cookies together in the request's `Cookie` header
   * (`name=value; ` each), so the whole header stays under common server limits (nginx: 8 KB).
   * Default 7 680 (leaves 512 bytes for the application's own cookies).
   */
  maxTotalBytes?: number
  /** Past the budget: `throw` a {@link CookieTooLargeError} (default), or `warn` and store anyway. */
  onOversize?: 'throw' | 'warn'
}

/** A session the store opened, with the sealed string it came from. */
interface OpenedEntry {
  sealed: string
  session: Session
  expiresAt: number
  stale: boolean
}

/**
 * `true` when two sessions pack to the same bytes: every field and token field equal (`===`, so
 * strings by value), and no object field besides the token set (app data, resource tokens: not
 * compared, so never "the same").
 */
function sameSession(a: Session, b: Session): boolean {
  // Generic over the session's fields, so that a field added later can never be skipped: every
  // primitive field equal, the token set shallow-equal, and any other object (app data, resource
  // tokens) means "not the same" — it may have been changed in place.
  const x = a as unknown as Record<string, unknown>
  const y = b as unknown as Record<string, unknown>
  const keys = Object.keys(x)
  if (keys.length !== Object.keys(y).length) return false
  for (const key of keys) {
    const value = x[key]
    if (key === 'tokens') {
      if (!sameTokens(value as Record<string, unknown>, y[key] as Record<string, unknown>))
        return false
    } else if (value !== y[key] || (typeof value === 'object' && value !== null)) return false
  }
  return true
}

function sameTokens(x: Record<string, unknown>, y: Record<string, unknown> | undefined): boolean {
  if (y === undefined) return false
  const keys = Object.keys(x)
  if (keys.length !== Object.keys(y).length) return false
  for (const key of keys) if (x[key] !== y[key] || typeof x[key] === 'object') return false
  return true
}

/** How many opened sessions a store keeps, by their exact sealed string. */
const CACHE_SIZE = 256
/** Most chunks ever written or read. */
const MAX_CHUNKS = 32
/** Separates the chunk count from the data in chunk 0 (`3*eyJ…`). */
const CHUNK_MARK = '*'
/** RFC 6265 §6.1: browsers keep at least 4 096 bytes of name + value per cookie. */
const MAX_NAME_VALUE = 4096
const CHUNK_COUNT = /^[1-9]\d?$/
const CHUNK_INDEX = /^(?:0|[1-9]\d{0,2})$/

function chunkName(name: string, index: number): string {
  return `${name}.${index}`
}

/** Names of the session cookies the request carried: the unsplit one and every chunk. */
function carried(jar: CookieJar, name: string): string[] {
  const prefix = `${name}.`
  return jar
    .names()
    .filter((n) => n === name || (n.startsWith(prefix) && CHUNK_INDEX.test(n.slice(prefix.length))))
}

/** Bytes one cookie takes in a `Cookie` request header, separator included. */
const headerBytes = (name: string, value: string) => name.length + 1 + value.length + 2

function positiveInteger(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw invalidArg(`"${name}" must be an integer ≥ ${min}`)
  return value
}

/**
 * Create the cookie store (the default store): the session packed without duplicated claims
 * (`sub`/`sid` come back from the id_token, JWTs travel as raw bytes), sealed with `jose` as a JWE
 * (`dir` + `A256GCM`, HKDF-derived keys named by `kid`), split into `name.0 … name.N` when it
 * outgrows one cookie.
 *
 * Every save expires each chunk and unsplit cookie the request carried that the new session no
 * longer uses (grow, shrink, chunked ↔ single). A missing or extra chunk gives `incomplete`;
 * reordered or altered chunks, foreign keys and garbage give `tampered` — never an exception. A
 * session sealed under a previous secret loads with `stale: true` (the manager saves it again,
 * under the current secret).
 *
 * @param options see {@link CookieStoreOptions}
 * @returns a {@link SessionStore}
 * @throws TypeError `ERR_INVALID_ARG_VALUE` / `ERR_INVALID_ARG_TYPE` for invalid options; `save`
 * throws {@link CookieTooLargeError} (`ERR_COOKIE_TOO_LARGE`) past the budget (see `onOversize`)
 * or past 32 chunks
 * @example
 * ```ts
 * const store = cookieStore({ secrets: [process.env.SESSION_SECRET!, process.env.OLD_SECRET!] })
 * const auth = createOidcSession({ ...options, store })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-6.1 (cookie size limits)
 * @see https://www.rfc-editor.org/rfc/rfc7516#section-7.1 (JWE compact serialisation)
 */
export function cookieStore(options: CookieStoreOptions): SessionStore {
  if (typeof options !== 'object' || options === null)
    throw invalidArg('"options" must be an object', 'ERR_INVALID_ARG_TYPE')
  const sealer = createSealer(validateSecrets(options.secrets, 'secrets'), 'session')
  const maxCookieBytes = positiveInteger(options.maxCookieBytes, 'maxCookieBytes', 256) ?? 4050
  const maxTotalBytes = positiveInteger(options.maxTotalBytes, 'maxTotalBytes', 256) ?? 7680
  const onOversize = options.onOversize ?? 'throw'
  if (onOversize !== 'throw' && onOversize !== 'warn')
    throw invalidArg('"onOversize" must be "throw" or "warn"')
  // Sessions opened lately. AES-GCM authenticates every byte, so the very same string opens to the
  // very same session: a hit skips the decryption. Keyed by the last 22 characters (the GCM tag)
  // and confirmed by comparing the whole string: hashing a 3 KB string for a Map costs as much as
  // comparing it several times. Only values that opened get in; each hit still checks the expiry.
  const opened = new Map<string, OpenedEntry>()
  // The last session saved and its sealed value: after a refresh, every request of a burst saves
  // the same session (same strings, often the very same string objects), so one packing and one
  // sealing serve them all. Compared field by field (no hashing of the tokens).
  let lastSaved: { session: Session; sealed: string } | undefined

  // Openings in flight, by tag (confirmed by the whole string, as above).
  const openings = new Map<string, { sealed: string; result: ReturnType<typeof open> }>()

  /** Open and unpack a sealed value; remember it when it opened. */
  async function open(
    sealed: string,
    tag: string,
    now: number,
  ): Promise<OpenedEntry | 'expired' | 'tampered'> {
    let unsealed: { bytes: Uint8Array; expiresAt: number; stale: boolean }
    try {
      unsealed = await sealer.unsealBytes(sealed, now)
    } catch (error) {
      if (error instanceof SealError && error.message === 'sealed value has expired')
        return 'expired'
      return 'tampered'
    }
    const session = unpackSession(unsealed.bytes)
    if (!session) return 'tampered'
    const entry = { sealed, session, expiresAt: unsealed.expiresAt, stale: unsealed.stale }
    if (opened.size >= CACHE_SIZE) opened.delete(opened.keys().next().value as string)
    opened.set(tag, entry)
    return entry
  }

  // Identical sessions seal once: after a refresh, every request of a burst saves the same session
  // (same id, version and tokens) and can send the same cookie. Keyed by the exact packed bytes.
  const seals = createMemo<string>(256)
  const sealOnce = (bytes: Uint8Array, expiresAt: number) =>
    seals(`${expiresAt}:${encodeBase64url(bytes)}`, () => sealer.sealBytes(bytes, expiresAt))

  function readSealed(
    jar: CookieJar,
    name: string,
  ): { sealed: string } | { failure: 'none' | 'incomplete' } {
    const first = jar.get(chunkName(name, 0))
    if (first === undefined) {
      const single = jar.get(name)
      if (single !== undefined && single !== '') return { sealed: single }
      // Chunks without their chunk 0: a partial set, not "no cookie".
      return carried(jar, name).some((n) => n !== name)
        ? { failure: 'incomplete' }
        : { failure: 'none' }
    }
    const mark = first.indexOf(CHUNK_MARK)
    const countText = mark < 1 ? '' : first.slice(0, mark)
    if (!CHUNK_COUNT.test(countText)) return { failure: 'incomplete' }
    const count = Number(countText)
    if (count > MAX_CHUNKS) return { failure: 'incomplete' }
    const parts = [first.slice(mark + 1)]
    for (let i = 1; i < count; i++) {
      const part = jar.get(chunkName(name, i))
      if (part === undefined || part === '') return { failure: 'incomplete' }
      parts.push(part)
    }
    // Any chunk past the announced count is a leftover of another session: refuse the set.
    const prefix = `${name}.`
    for (const n of carried(jar, name)) {
      if (n.startsWith(prefix) && Number(n.slice(prefix.length)) >= count)
        return { failure: 'incomplete' }
    }
    return { sealed: parts.join('') }
  }

  /** The cookies (name → value) that hold `sealed` under `name`. */
  function layout(name: string, sealed: string, attributes: CookieAttributes): Map<string, string> {
    // Sealed values are ASCII (base64url and dots), so characters are bytes.
    const room = (cookieName: string, extra: number) =>
      Math.min(
        maxCookieBytes - setCookieLine(cookieName, '', attributes).length,
        MAX_NAME_VALUE - cookieName.length - 1,
      ) - extra
    const cookies = new Map<string, string>()
    if (sealed.length <= room(name, 0)) {
      cookies.set(name, sealed)
      return cookies
    }
    // Room per chunk, computed for the longest chunk name and a two-digit count prefix.
    const perChunk = room(chunkName(name, MAX_CHUNKS - 1), 3)
    const count = perChunk > 0 ? Math.ceil(sealed.length / perChunk) : Infinity
    if (count > MAX_CHUNKS)
      throw new CookieTooLargeError(
        `the session needs more than ${MAX_CHUNKS} cookies: use a stateful store such as redisStore (oidc-session/redis)`,
      )
    for (let i = 0; i < count; i++) {
      const part = sealed.slice(i * perChunk, (i + 1) * perChunk)
      cookies.set(chunkName(name, i), i === 0 ? `${count}${CHUNK_MARK}${part}` : part)
    }
    return cookies
  }

  function write(context: StoreContext, sealed: string, maxAge: number, session: Session): void {
    const { jar, cookie } = context
    const attributes: CookieAttributes = { ...cookie.attributes, maxAge }
    const cookies = layout(cookie.name, sealed, attributes)
    let total = 0
    for (const [name, value] of cookies) total += headerBytes(name, value)
    if (total > maxTotalBytes) {
      const message = `the session cookies take ${total} bytes of the Cookie header, over the ${maxTotalBytes}-byte budget: use a stateful store such as redisStore (oidc-session/redis)`
      if (onOversize === 'throw') throw new CookieTooLargeError(message)
      console.warn(`oidc-session: ${message}`)
    }
    for (const [name, value] of cookies) jar.set(name, value, attributes)
    for (const name of carried(jar, cookie.name)) {
      if (!cookies.has(name)) jar.expire(name, cookie.attributes)
    }
    context.written?.({ session, chunks: cookies.size, bytes: total })
  }

  return {
    stateful: false,

    async load({ jar, cookie, now }): Promise<LoadResult> {
      const read = readSealed(jar, cookie.name)
      if ('failure' in read) return { session: null, reason: read.failure }
      const tag = read.sealed.slice(-22)
      let entry = opened.get(tag)
      if (entry?.sealed !== read.sealed) {
        // Concurrent requests with the same new cookie share one opening.
        let opening = openings.get(tag)
        if (opening?.sealed !== read.sealed) {
          opening = { sealed: read.sealed, result: open(read.sealed, tag, now) }
          openings.set(tag, opening)
          const done = opening
          void done.result.finally(() => {
            if (openings.get(tag) === done) openings.delete(tag)
          })
        }
        const result = await opening.result
        if (typeof result === 'string') return { session: null, reason: result }
        entry = result
      }
      if (entry.expiresAt <= now || entry.session.expiresAt <= now)
        return { session: null, reason: 'expired' }
      // A copy: callers update the version and the tokens of what they get.
      const session: Session = { ...entry.session, tokens: { ...entry.session.tokens } }
      return entry.stale ? { session, stale: true } : { session }
    },

    async save(context, session) {
      const next = { ...session, version: session.version + 1 }
      let sealed =
        lastSaved !== undefined && sameSession(lastSaved.session, next)
          ? lastSaved.sealed
          : undefined
      if (sealed === undefined) {
        sealed = await sealOnce(packSession(next), next.expiresAt)
        lastSaved = { session: { ...next, tokens: { ...next.tokens } }, sealed }
      }
      write(context, sealed, Math.max(0, next.expiresAt - context.now), next)
      session.version = next.version
      return true
    },

    async destroy({ jar, cookie }) {
      for (const name of carried(jar, cookie.name)) jar.expire(name, cookie.attributes)
    },
  } satisfies SessionStore
}

export type { Session }
