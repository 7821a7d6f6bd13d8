/**
 * Test helpers shared by the unit tests: a minimal browser cookie jar and session builders.
 */
import { CookieJar, type CookieAttributes } from '../../../src/request/cookie-jar.js'
import type { Session } from '../../../src/session/session.js'
import type { StoreContext } from '../../../src/stores/types.js'

export const ATTRIBUTES: CookieAttributes = {
  secure: true,
  sameSite: 'lax',
  path: '/',
  httpOnly: true,
}

/** What a browser keeps between requests: name → value, following `Set-Cookie` lines. */
export class Browser {
  readonly cookies = new Map<string, string>()

  /** Apply the `Set-Cookie` lines of one response (`Max-Age=0` or negative deletes). */
  receive(lines: readonly string[]): void {
    for (const line of lines) {
      const [pair = '', ...attributes] = line.split(';')
      const eq = pair.indexOf('=')
      if (eq < 1) throw new Error(`malformed Set-Cookie line: ${line}`)
      const name = pair.slice(0, eq).trim()
      const value = decodeURIComponent(pair.slice(eq + 1).trim())
      const maxAge = attributes
        .map((a) => a.trim().split('='))
        .find(([key]) => key?.toLowerCase() === 'max-age')?.[1]
      if (maxAge !== undefined && Number(maxAge) <= 0) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  /** The `Cookie` header of the next request (undefined when there are no cookies). */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  /** A fresh jar for the next request. */
  jar(): CookieJar {
    return new CookieJar(this.header())
  }

  /** Names of the cookies the browser holds, sorted. */
  names(): string[] {
    return [...this.cookies.keys()].sort()
  }
}

/** A store context for one request. */
export function context(jar: CookieJar, now: number, name = 'sess'): StoreContext {
  return { jar, cookie: { name, attributes: ATTRIBUTES }, now }
}

/** A session with the given token sizes (characters). */
export function makeSession(
  now: number,
  overrides: Partial<Omit<Session, 'tokens'>> & { tokens?: Partial<Session['tokens']> } = {},
): Session {
  const { tokens, ...rest } = overrides
  return {
    id: 'session-id-1',
    version: 0,
    createdAt: now,
    expiresAt: now + 3600,
    sub: 'user-123',
    sid: 'sid-abc',
    ...rest,
    tokens: {
      accessToken: 'access-token',
      tokenType: 'Bearer',
      expiresAt: now + 300,
      refreshToken: 'refresh-token',
      idToken: 'id-token',
      scope: 'openid profile',
      ...tokens,
    },
  }
}

/** A deterministic, poorly compressible pseudo-random string of `length` base64url characters. */
export function noise(length: number, seed = 1): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  let state = seed >>> 0 || 1
  let out = ''
  for (let i = 0; i < length; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    out += alphabet[state % 64]
  }
  return out
}

/** A copy of `value` without `key` (a typed, lint-friendly omit). */
export function without<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const copy = { ...value }
  delete copy[key]
  return copy
}
