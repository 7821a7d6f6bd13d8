/**
 * The cookies of one request/response exchange: what the request carried and the `Set-Cookie`
 * lines to answer with. Parsing and serialising go through the `cookie` package.
 *
 * @module
 */
import { parse, serialize } from 'cookie'

/** Attributes of a cookie this library sets. */
export interface CookieAttributes {
  httpOnly?: boolean
  secure?: boolean
  sameSite?: 'lax' | 'strict' | 'none'
  path?: string
  domain?: string | undefined
  /** Seconds; `0` expires the cookie. */
  maxAge?: number
}

/**
 * Serialise one `Set-Cookie` line. Defaults: `HttpOnly`, `Secure`, `SameSite=Lax`, `Path=/`.
 */
export function setCookieLine(name: string, value: string, attributes: CookieAttributes): string {
  return serialize(name, value, {
    httpOnly: attributes.httpOnly ?? true,
    secure: attributes.secure ?? true,
    sameSite: attributes.sameSite ?? 'lax',
    path: attributes.path ?? '/',
    ...(attributes.domain !== undefined ? { domain: attributes.domain } : {}),
    ...(attributes.maxAge !== undefined ? { maxAge: attributes.maxAge } : {}),
  })
}

/** Request cookies in, `Set-Cookie` lines out. */
export class CookieJar {
  readonly #incoming: Map<string, string>
  readonly #outgoing = new Map<string, string>()

  /** @param cookieHeader the request's `Cookie` header (absent → no cookies) */
  constructor(cookieHeader: string | null | undefined) {
    this.#incoming = new Map()
    if (cookieHeader) {
      let parsed: Record<string, string | undefined>
      try {
        parsed = parse(cookieHeader)
      } catch {
        parsed = {}
      }
      for (const [name, value] of Object.entries(parsed)) {
        if (value !== undefined) this.#incoming.set(name, value)
      }
    }
  }

  /** Value of a cookie the request carried. */
  get(name: string): string | undefined {
    return this.#incoming.get(name)
  }

  /** Names of every cookie the request carried. */
  names(): string[] {
    return [...this.#incoming.keys()]
  }

  /** Set a cookie in the response (a later call for the same name replaces an earlier one). */
  set(name: string, value: string, attributes: CookieAttributes): void {
    this.#outgoing.set(name, setCookieLine(name, value, attributes))
  }

  /** Expire a cookie in the response. */
  expire(name: string, attributes: CookieAttributes): void {
    this.set(name, '', { ...attributes, maxAge: 0 })
  }

  /** `true` when a `Set-Cookie` line is pending for `name`. */
  isSet(name: string): boolean {
    return this.#outgoing.has(name)
  }

  /** The pending `Set-Cookie` lines. */
  setCookieLines(): string[] {
    return [...this.#outgoing.values()]
  }

  /** Append the pending `Set-Cookie` lines to `headers` and return it. */
  applyTo(headers: Headers): Headers {
    for (const line of this.#outgoing.values()) headers.append('set-cookie', line)
    return headers
  }
}
