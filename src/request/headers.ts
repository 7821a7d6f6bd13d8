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
  return typeof (value as Headers | null)?.get === 'function'
}

function headersOf(input: HeadersInput): Headers | HeaderRecord {
  const inner = (input as Partial<RequestLike>).headers
  // A header record's values are strings or arrays, never an object: `headers` is a request's.
  return isHeaders(input) || typeof inner !== 'object' || inner === null || Array.isArray(inner)
    ? (input as Headers | HeaderRecord)
    : inner
}

/**
 * Read one header, case-insensitively; repeated values are joined with `, ` (`cookie` with `; `).
 *
 * @param input a request, a `Headers` object or a header record
 * @param name the header name, any case
 * @returns the value, or `undefined` when absent
 */
export function getHeader(input: HeadersInput, name: string): string | undefined {
  const headers = headersOf(input)
  if (isHeaders(headers)) return headers.get(name) ?? undefined
  const lower = name.toLowerCase()
  for (const key in headers) {
    const value = headers[key]
    if (value !== undefined && key.toLowerCase() === lower)
      return typeof value === 'string' ? value : value.join(lower === 'cookie' ? '; ' : ', ')
  }
  return undefined
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
