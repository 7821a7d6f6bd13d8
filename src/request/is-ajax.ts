/**
 * Is this request an API call (answer `401`) or a page navigation (answer a redirect to login)?
 *
 * The rule behind every signal: a `302` to an HTML login page is only right for a request whose
 * response the browser will *display as a page*. Everything else — `fetch()`, XHR, `<img>`,
 * `<script>`, `EventSource`, WebSocket, prefetches, and non-browser clients — gets a `401` it can
 * handle. So a navigation needs positive evidence (Fetch Metadata, or an `Accept` that prefers
 * HTML); without any, a request is an API call (`defaultAjax`).
 *
 * @module
 */
import { getHeader, getMethod, type HeadersInput } from './headers.js'

/** Why {@link classifyRequest} decided as it did: the first signal that matched, in this order. */
export type AjaxReason =
  /** {@link ClassifyOptions.predicate} returned a boolean */
  | 'predicate'
  /** the path matched {@link ClassifyOptions.ajaxPaths} */
  | 'path'
  /** `Sec-Purpose: prefetch` (or legacy `Purpose: prefetch`): a speculative load, never shown as is */
  | 'prefetch'
  /** `Sec-Fetch-Mode: navigate` to a document, iframe, frame, fenced frame, embed or object */
  | 'fetch-metadata-navigation'
  /** any other `Sec-Fetch-Mode` (`cors`, `no-cors`, `same-origin`, `websocket`, `navigate` to `empty`) */
  | 'fetch-metadata-subresource'
  /** `X-Requested-With: XMLHttpRequest` (jQuery, Angular.js, Rails UJS…) */
  | 'x-requested-with'
  /** `HX-Request: true` (htmx) */
  | 'htmx'
  /** `Authorization: Bearer …` */
  | 'bearer'
  /** a JSON `Content-Type` on a method other than GET/HEAD */
  | 'json-body'
  /** `Upgrade: websocket` */
  | 'websocket'
  /** `Accept` prefers HTML (or XHTML) at least as much as JSON */
  | 'accept-html'
  /** `Accept` prefers JSON, `text/event-stream`, or accepts only `*\/*` */
  | 'accept-json'
  /** no signal at all (no `Accept`, or one naming neither HTML nor JSON): {@link ClassifyOptions.defaultAjax} */
  | 'default'

/** Options of {@link classifyRequest}. */
export interface ClassifyOptions {
  /**
   * Paths that are always API calls: a string is a prefix of the path (`'/api/'`), a regular
   * expression is tested against the path (without the query). Needs a `url` on the input.
   */
  ajaxPaths?: readonly (string | RegExp)[]
  /** Decides first: return a boolean to decide, `undefined` to let the signals decide. */
  predicate?: (input: HeadersInput) => boolean | undefined
  /**
   * What a request without any signal is. Default `true` (API call): every browser sends an
   * `Accept` naming HTML on a navigation, so a request without one is not a page load (Go's
   * `net/http` and Python's `urllib` send no `Accept` at all).
   */
  defaultAjax?: boolean
}

/** Destinations a navigation shows as a page (Fetch Metadata `Sec-Fetch-Dest`). */
const PAGE = /^(document|i?frame|fencedframe|embed|object)$/
const HTML = /^(text\/html|application\/xhtml\+xml)$/
const JSON_LIKE = /^(application\/([\w.-]+\+)?json|text\/event-stream)$/
const ANY = /^\*\/\*$/

/** Highest q-value the (lower-cased) `Accept` value gives to a media type matching `type`. */
function quality(accept: string, type: RegExp): number {
  let best = 0
  for (const range of accept.split(',')) {
    // RFC 9110 §12.4.2: `;q=` without blanks around `=`. `+junk` is NaN and fails both tests.
    const weight = /;\s*q=([^;]*)/.exec(range)
    const q = weight ? +weight[1]! : 1
    if (q <= 1 && q > best && type.test(range.split(';')[0]!.trim())) best = q
  }
  return best
}

function pathOf(input: HeadersInput): string | undefined {
  const url = (input as { url?: unknown }).url
  try {
    return typeof url === 'string' ? new URL(url, 'http://x').pathname : undefined
  } catch {
    return undefined
  }
}

/**
 * Classify a request as an API call (`ajax: true`) or a page navigation, with the signal that
 * decided. Signals, first match wins:
 *
 * 1. `predicate`, then `ajaxPaths` (overrides);
 * 2. `Sec-Purpose`/`Purpose: prefetch` (prefetch and prerender) → API: a speculative load must not
 *    start a login, and a non-2xx answer makes the browser drop it;
 * 3. Fetch Metadata: `Sec-Fetch-Mode: navigate` with `Sec-Fetch-Dest` `document`, `iframe`,
 *    `frame`, `fencedframe`, `embed`, `object` (or none) → navigation; any other mode
 *    (`cors`, `no-cors` for `<img>`/`<script>`, `same-origin`, `websocket`) or destination → API.
 *    Browsers send it to potentially trustworthy origins (HTTPS, `localhost`, `127.0.0.1`), and
 *    scripts cannot forge it;
 * 4. `X-Requested-With: XMLHttpRequest` (any case), `HX-Request: true`, `Authorization: Bearer`,
 *    a JSON `Content-Type` on a non-GET/HEAD, `Upgrade: websocket` → API;
 * 5. `Accept` with q-values: HTML preferred at least as much as JSON → navigation; JSON,
 *    `text/event-stream` or only `*\/*` → API;
 * 6. otherwise `defaultAjax` (default API).
 *
 * @param input a `Request`, a request-like `{ url, method, headers }`, a `Headers` object, or a
 *   header record such as Node's `IncomingHttpHeaders`
 * @param options overrides, see {@link ClassifyOptions}
 * @returns `{ ajax, reason }`; never throws for odd headers
 * @example
 * ```ts
 * classifyRequest(new Request('https://app.example/x', { headers: { accept: 'application/json' } }))
 * // → { ajax: true, reason: 'accept-json' }
 * ```
 * @see https://www.w3.org/TR/fetch-metadata/ Fetch Metadata Request Headers
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1 RFC 9110 §12.5.1 (Accept)
 */
export function classifyRequest(
  input: HeadersInput,
  options: ClassifyOptions = {},
): { ajax: boolean; reason: AjaxReason } {
  const decide = (ajax: boolean, reason: AjaxReason) => ({ ajax, reason })
  const decided = options.predicate?.(input)
  if (decided !== undefined) return decide(decided, 'predicate')
  const path = pathOf(input)
  if (
    path !== undefined &&
    options.ajaxPaths?.some((p) => (typeof p === 'string' ? path.startsWith(p) : p.test(path)))
  )
    return decide(true, 'path')

  const header = (name: string) => getHeader(input, name)?.trim().toLowerCase() ?? ''
  if (/prefetch/.test(header('sec-purpose') || header('purpose'))) return decide(true, 'prefetch')
  const mode = header('sec-fetch-mode')
  if (mode) {
    const dest = header('sec-fetch-dest')
    return mode === 'navigate' && (!dest || PAGE.test(dest))
      ? decide(false, 'fetch-metadata-navigation')
      : decide(true, 'fetch-metadata-subresource')
  }
  if (header('x-requested-with') === 'xmlhttprequest') return decide(true, 'x-requested-with')
  if (header('hx-request') === 'true') return decide(true, 'htmx')
  if (/^bearer\s+\S/.test(header('authorization'))) return decide(true, 'bearer')
  if (
    !/^(GET|HEAD)$/.test(getMethod(input)) &&
    JSON_LIKE.test(header('content-type').split(';')[0]!.trim())
  )
    return decide(true, 'json-body')
  if (header('upgrade') === 'websocket') return decide(true, 'websocket')
  const accept = header('accept')
  const html = quality(accept, HTML)
  const json = quality(accept, JSON_LIKE)
  if (html > 0 && html >= json) return decide(false, 'accept-html')
  if (json > 0 || quality(accept, ANY) > 0) return decide(true, 'accept-json')
  return decide(options.defaultAjax ?? true, 'default')
}

/**
 * `true` when the request is an API call (answer `401` JSON), `false` for a page navigation
 * (answer a redirect to login). See {@link classifyRequest} for the signals and their order.
 *
 * @param input a `Request`, a request-like `{ url, method, headers }`, `Headers`, or a header record
 * @param options overrides, see {@link ClassifyOptions}
 * @returns whether to answer as to an API call
 * @example
 * ```ts
 * if (isAjax(request)) return Response.json({ error: 'unauthorized' }, { status: 401 })
 * return Response.redirect(new URL('/login', request.url), 302)
 * ```
 * @see https://www.w3.org/TR/fetch-metadata/
 */
export function isAjax(input: HeadersInput, options?: ClassifyOptions): boolean {
  return classifyRequest(input, options).ajax
}
