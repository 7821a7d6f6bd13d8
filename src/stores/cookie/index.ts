/**
 * The cookie store: the whole session sealed into the cookies, chunked when it outgrows one.
 *
 * @module
 */
import { CookieTooLargeError, SealError } from '../../errors.js'
import { validateSecrets } from '../../config.js'
import { setCookieLine, type CookieAttributes, type CookieJar } from '../../request/cookie-jar.js'
import { createSealer } from '../../session/codec.js'
import { decodeSession, encodeSession, type Session } from '../../session/session.js'
import type { LoadResult, SessionStore, StoreContext } from '../types.js'

/** Options of {@link cookieStore}. */
export interface CookieStoreOptions {
  /** Current secret first, then previous ones (≥ 32 characters each). */
  secrets: string | readonly string[]
  /** Longest `Set-Cookie` line, attributes included. Default 4 050 bytes. */
  maxCookieBytes?: number
  /**
   * Budget for all the session's cookies together (`name=value; ` each), so the whole `Cookie`
   * header stays under common server limits (8 KB). Default 7 680 bytes.
   */
  maxTotalBytes?: number
  /** Past the budget: `throw` a {@link CookieTooLargeError} (default), or `warn` and store anyway. */
  onOversize?: 'throw' | 'warn'
}

const MAX_CHUNKS = 32
const CHUNK_MARK = '*'

function chunkName(name: string, index: number): string {
  return `${name}.${index}`
}

/** Names of the session cookies the request carried: the unsplit one and every chunk. */
function carried(jar: CookieJar, name: string): string[] {
  const prefix = `${name}.`
  return jar
    .names()
    .filter((n) => n === name || (n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length))))
}

/**
 * Create the cookie store (the default store).
 *
 * Every save expires each chunk and unsplit cookie the request carried that the new session no
 * longer uses (grow, shrink, chunked ↔ single). A missing, extra or reordered chunk gives
 * `incomplete`; anything that does not open gives `tampered` — never an exception.
 *
 * @param options see {@link CookieStoreOptions}
 * @returns a {@link SessionStore}
 * @throws TypeError `ERR_INVALID_ARG_VALUE` for invalid options
 * @example
 * ```ts
 * const store = cookieStore({ secrets: [process.env.SESSION_SECRET!] })
 * ```
 */
export function cookieStore(options: CookieStoreOptions): SessionStore {
  const sealer = createSealer(validateSecrets(options?.secrets, 'secrets'), 'session')
  const maxCookieBytes = options.maxCookieBytes ?? 4050
  const maxTotalBytes = options.maxTotalBytes ?? 7680
  const onOversize = options.onOversize ?? 'throw'

  function readSealed(
    jar: CookieJar,
    name: string,
  ): { sealed: string } | { failure: 'none' | 'incomplete' } {
    const first = jar.get(chunkName(name, 0))
    if (first === undefined) {
      const single = jar.get(name)
      return single === undefined || single === '' ? { failure: 'none' } : { sealed: single }
    }
    const mark = first.indexOf(CHUNK_MARK)
    const count = Number(first.slice(0, mark))
    if (mark < 1 || !Number.isInteger(count) || count < 1 || count > MAX_CHUNKS)
      return { failure: 'incomplete' }
    const parts = [first.slice(mark + 1)]
    for (let i = 1; i < count; i++) {
      const part = jar.get(chunkName(name, i))
      if (part === undefined || part === '') return { failure: 'incomplete' }
      parts.push(part)
    }
    if (jar.get(chunkName(name, count)) !== undefined) return { failure: 'incomplete' }
    return { sealed: parts.join('') }
  }

  function write(context: StoreContext, sealed: string, maxAge: number): void {
    const { jar, cookie } = context
    const attributes: CookieAttributes = { ...cookie.attributes, maxAge }
    // Sealed values are ASCII, so characters are bytes.
    const overhead = (name: string) => setCookieLine(name, '', attributes).length
    const keep = new Set<string>()
    if (overhead(cookie.name) + sealed.length <= maxCookieBytes) {
      jar.set(cookie.name, sealed, attributes)
      keep.add(cookie.name)
    } else {
      const room = maxCookieBytes - overhead(chunkName(cookie.name, MAX_CHUNKS)) - 3
      const count = Math.ceil(sealed.length / room)
      if (count > MAX_CHUNKS)
        throw new CookieTooLargeError(
          'the session is too large for cookies: use a stateful store such as redisStore',
        )
      for (let i = 0; i < count; i++) {
        const part = sealed.slice(i * room, (i + 1) * room)
        const name = chunkName(cookie.name, i)
        jar.set(name, i === 0 ? `${count}${CHUNK_MARK}${part}` : part, attributes)
        keep.add(name)
      }
    }
    for (const name of carried(jar, cookie.name)) {
      if (!keep.has(name)) jar.expire(name, cookie.attributes)
    }
    const total =
      [...keep].reduce((sum, name) => sum + name.length + 3, 0) + sealed.length + 3 * keep.size
    if (total > maxTotalBytes) {
      const message = `the session cookies take ${total} bytes, over the ${maxTotalBytes}-byte budget: use a stateful store such as redisStore`
      if (onOversize === 'throw') throw new CookieTooLargeError(message)
      console.warn(`oidc-session: ${message}`)
    }
  }

  return {
    stateful: false,

    async load({ jar, cookie, now }): Promise<LoadResult> {
      const read = readSealed(jar, cookie.name)
      if ('failure' in read) return { session: null, reason: read.failure }
      let opened: { value: unknown; stale: boolean }
      try {
        opened = await sealer.unseal(read.sealed, now)
      } catch (error) {
        if (error instanceof SealError && error.message === 'sealed value has expired')
          return { session: null, reason: 'expired' }
        return { session: null, reason: 'tampered' }
      }
      const session = decodeSession(opened.value)
      if (!session) return { session: null, reason: 'tampered' }
      if (session.expiresAt <= now) return { session: null, reason: 'expired' }
      return opened.stale ? { session, stale: true } : { session }
    },

    async save(context, session) {
      const next = { ...session, version: session.version + 1 }
      const sealed = await sealer.seal(encodeSession(next), next.expiresAt)
      write(context, sealed, Math.max(0, next.expiresAt - context.now))
      session.version = next.version
      return true
    },

    async destroy({ jar, cookie }) {
      for (const name of carried(jar, cookie.name)) jar.expire(name, cookie.attributes)
    },
  } satisfies SessionStore
}

export type { Session }
