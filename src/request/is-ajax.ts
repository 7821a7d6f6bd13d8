/**
 * Is this request an API call (answer 401) or a page navigation (answer a redirect)?
 *
 * @module
 */
import { getHeader, getMethod, type HeadersInput } from './headers.js'

/** Why {@link classifyRequest} decided as it did (first matching signal, in this order). */
export type AjaxReason =
  | 'predicate'
  | 'path'
  | 'fetch-metadata-navigation'
  | 'fetch-metadata-subresource'
  | 'x-requested-with'
  | 'htmx'
  | 'bearer'
  | 'websocket'
  | 'json-body'
  | 'accept-html'
  | 'accept-json'
  | 'default'

/** Options of {@link classifyRequest}. */
export interface ClassifyOptions {
  /** Paths (prefix strings or regular expressions) that are always API calls, e.g. `'/api/'`. */
  ajaxPaths?: readonly (string | RegExp)[]
  /** A last word: return a boolean to decide, `undefined` to let the signals decide. */
  predicate?: (input: HeadersInput) => boolean | undefined
  /** What a request with no signal at all is. Default: navigation (`false`). */
  defaultAjax?: boolean
}

const NAVIGATION_DESTS = new Set(['document', 'iframe', 'frame', 'embed', 'object'])

interface MediaRange {
  type: string
  q: number
}

function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part) => {
      const [type = '', ...params] = part.trim().split(';')
      let q = 1
      for (const param of params) {
        const [name, value] = param.trim().split('=')
        if (name?.trim().toLowerCase() === 'q' && value !== undefined) {
          const parsed = Number(value.trim())
          q = Number.isFinite(parsed) && parsed >= 0 && parsed <= 1 ? parsed : 0
        }
      }
      return { type: type.trim().toLowerCase(), q }
    })
    .filter((range) => range.type !== '')
}

function quality(ranges: MediaRange[], matches: (type: string) => boolean): number {
  let best = 0
  for (const range of ranges) if (matches(range.type) && range.q > best) best = range.q
  return best
}

const isHtml = (type: string) => type === 'text/html' || type === 'application/xhtml+xml'
const isJson = (type: string) =>
  type === 'application/json' ||
  /^application\/[\w.+-]*\+json$/.test(type) ||
  type === 'text/event-stream'

function pathOf(input: HeadersInput): string | undefined {
  const url = (input as { url?: unknown }).url
  if (typeof url !== 'string') return undefined
  try {
    return new URL(url, 'http://x').pathname
  } catch {
    return undefined
  }
}

/**
 * Classify a request, with the signal that decided.
 *
 * Order: `predicate`; `ajaxPaths`; Fetch Metadata (`Sec-Fetch-Mode: navigate` with a document-like
 * `Sec-Fetch-Dest` is a navigation; `cors`, `no-cors`, `same-origin`, `websocket` are not);
 * `X-Requested-With: XMLHttpRequest`; `HX-Request`; `Authorization: Bearer`; `Upgrade: websocket`;
 * a JSON `Content-Type` on a non-GET; then `Accept` with q-values (HTML preferred → navigation,
 * JSON or only `*\/*` → API); else `defaultAjax`.
 *
 * @param input a `Request`, a request-like `{ url, method, headers }`, `Headers`, or a header record
 * @returns `{ ajax, reason }`
 * @example
 * ```ts
 * classifyRequest(new Request('https://a/x', { headers: { accept: 'application/json' } }))
 * // → { ajax: true, reason: 'accept-json' }
 * ```
 */
export function classifyRequest(
  input: HeadersInput,
  options: ClassifyOptions = {},
): { ajax: boolean; reason: AjaxReason } {
  if (options.predicate) {
    const decided = options.predicate(input)
    if (decided !== undefined) return { ajax: decided, reason: 'predicate' }
  }
  if (options.ajaxPaths?.length) {
    const path = pathOf(input)
    if (
      path !== undefined &&
      options.ajaxPaths.some((p) => (typeof p === 'string' ? path.startsWith(p) : p.test(path)))
    ) {
      return { ajax: true, reason: 'path' }
    }
  }
  const header = (name: string) => getHeader(input, name)?.trim().toLowerCase()

  const mode = header('sec-fetch-mode')
  if (mode) {
    const dest = header('sec-fetch-dest')
    if (mode === 'navigate' && (dest === undefined || NAVIGATION_DESTS.has(dest))) {
      return { ajax: false, reason: 'fetch-metadata-navigation' }
    }
    return { ajax: true, reason: 'fetch-metadata-subresource' }
  }
  if (header('x-requested-with') === 'xmlhttprequest')
    return { ajax: true, reason: 'x-requested-with' }
  if (header('hx-request') === 'true') return { ajax: true, reason: 'htmx' }
  if (header('authorization')?.startsWith('bearer ')) return { ajax: true, reason: 'bearer' }
  if (header('upgrade') === 'websocket') return { ajax: true, reason: 'websocket' }
  const method = getMethod(input)
  const contentType = header('content-type')?.split(';')[0]?.trim()
  if (method !== 'GET' && method !== 'HEAD' && contentType !== undefined && isJson(contentType)) {
    return { ajax: true, reason: 'json-body' }
  }
  const accept = header('accept')
  if (accept) {
    const ranges = parseAccept(accept)
    const html = quality(ranges, isHtml)
    const json = quality(ranges, isJson)
    if (html > 0 && html >= json) return { ajax: false, reason: 'accept-html' }
    if (json > 0) return { ajax: true, reason: 'accept-json' }
    if (quality(ranges, (t) => t === '*/*') > 0 && html === 0)
      return { ajax: true, reason: 'accept-json' }
  }
  return { ajax: options.defaultAjax ?? false, reason: 'default' }
}

/**
 * `true` when the request is an API call (answer 401 JSON), `false` for a page navigation
 * (answer a redirect to login). See {@link classifyRequest} for the signals.
 *
 * @example
 * ```ts
 * if (isAjax(request)) return Response.json({ error: 'unauthorized' }, { status: 401 })
 * ```
 */
export function isAjax(input: HeadersInput, options?: ClassifyOptions): boolean {
  return classifyRequest(input, options).ajax
}
