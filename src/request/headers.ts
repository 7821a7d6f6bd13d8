/**
 * A request as the core accepts it: a Web `Request`, or anything with `url` and `headers`
 * (a `Headers` object or a Node-style header record).
 *
 * @module
 */

/** Header values as Node's `IncomingHttpHeaders` carries them. */
export type HeaderRecord = Record<string, string | readonly string[] | undefined>

/** What the core needs of a request. */
export interface RequestLike {
  /** Absolute URL, or a path (resolved against the app origin). */
  readonly url: string
  /** Default `GET`. */
  readonly method?: string
  readonly headers: Headers | HeaderRecord
}

/** Any of: a request, a `Headers` object, or a plain header record. */
export type HeadersInput = RequestLike | Headers | HeaderRecord

function isHeaders(value: unknown): value is Headers {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Headers).get === 'function' &&
    typeof (value as Headers).has === 'function'
  )
}

function headersOf(input: HeadersInput): Headers | HeaderRecord {
  if (isHeaders(input)) return input
  const maybe = (input as RequestLike).headers
  if (
    maybe !== undefined &&
    typeof maybe === 'object' &&
    typeof (input as RequestLike).url === 'string'
  )
    return maybe
  return input as HeaderRecord
}

/**
 * Read one header, case-insensitively; repeated values are joined with `, ` (`cookie` with `; `).
 */
export function getHeader(input: HeadersInput, name: string): string | undefined {
  const headers = headersOf(input)
  if (isHeaders(headers)) return headers.get(name) ?? undefined
  const lower = name.toLowerCase()
  let value = headers[lower]
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === lower) {
        value = headers[key]
        break
      }
    }
  }
  if (value === undefined) return undefined
  if (typeof value === 'string') return value
  return value.join(lower === 'cookie' ? '; ' : ', ')
}

/** The request method, upper-cased (`GET` when unknown). */
export function getMethod(input: HeadersInput): string {
  const method = (input as RequestLike).method
  return typeof method === 'string' && method !== '' ? method.toUpperCase() : 'GET'
}

/** The request URL resolved against `base` (a path-only `url` is common in Node). */
export function getUrl(request: RequestLike, base: string): URL {
  return new URL(request.url, base)
}
