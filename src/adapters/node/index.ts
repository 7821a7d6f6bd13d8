/**
 * `node:http` adapter (`oidc-session/node`): Node requests in, Web `Request`s to the core, Web
 * `Response`s (and `Set-Cookie` lines) back out — every `Set-Cookie` line kept, bodies streamed,
 * `HEAD` answered without one. The Express, Koa and Fastify adapters build on it.
 *
 * @module oidc-session/node
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { OidcSessionError } from '../../errors.js'
import type { FormRequest } from '../../request/form.js'
import type { RequestLike } from '../../request/headers.js'
import type { OidcSession, ProtectOptions } from '../../session/types.js'
import { toContext, type OidcContext, type ProtectedOidcContext } from '../context.js'

export type { OidcContext, ProtectedOidcContext }

/**
 * A Node request as the adapters see it: frameworks add the URL before mounting
 * (`originalUrl`, Express) and the body a parser already read (`body`).
 */
export type NodeRequest = IncomingMessage & { originalUrl?: string; body?: unknown }

/** A `node:http` request listener; it may return a promise. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown

/** The request target as received (`/path?query`), before any framework stripped a mount prefix. */
function targetOf(req: NodeRequest): string {
  return req.originalUrl ?? req.url ?? '/'
}

/**
 * The path of a request as the core resolves it (`new URL(target, origin).pathname`), so that an
 * adapter's "is this an auth route?" agrees with `auth.handler()`.
 *
 * @param req the Node request
 * @returns the path (`''` for a target that is not a URL)
 * @example
 * ```ts
 * if (pathOf(req) === '/api/me') { … }
 * ```
 */
export function pathOf(req: NodeRequest): string {
  try {
    return new URL(targetOf(req), 'http://localhost').pathname
  } catch {
    return ''
  }
}

/**
 * A request-like view of a Node request, for `auth.protect()`, `auth.authenticate()` and the other
 * methods that read headers only. Its URL is the request target as received (a path): the core
 * resolves it against the configured app origin, so a spoofed `Host` cannot change anything.
 *
 * @param req the Node request (an Express, Koa or Fastify raw request too)
 * @returns a `RequestLike` sharing `req.headers`
 * @example
 * ```ts
 * const { claims, headers } = await auth.userinfo(fromNodeRequest(req))
 * ```
 */
export function fromNodeRequest(req: NodeRequest): RequestLike {
  return { url: targetOf(req), method: req.method ?? 'GET', headers: req.headers }
}

/** Options of {@link toWebRequest}. */
export interface ToWebRequestOptions {
  /**
   * Origin of the Web request's absolute URL. Default: `Host` with `https:` on a TLS socket, else
   * `http:` (`http://localhost` when `Host` is unusable). The core never reads it — it answers
   * from the configured origin (or, with `trustProxy`, a forwarded one) — but your code may.
   */
  origin?: string
}

function hostOrigin(req: IncomingMessage): string {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true
  const host = req.headers.host
  if (host !== undefined && /^[A-Za-z0-9.:[\]-]+$/.test(host)) {
    try {
      return new URL(`${encrypted ? 'https' : 'http'}://${host}`).origin
    } catch {
      // fall through
    }
  }
  return 'http://localhost'
}

/**
 * A Web `Request` for a Node request: an absolute URL, every header line (repeated headers
 * appended, HTTP/2 pseudo-headers left out), and for other methods than `GET`/`HEAD` the body
 * streamed from `req` (`duplex: 'half'`) — or, when a body parser has already read it, the text
 * it left on `req.body`.
 *
 * @param req the Node request
 * @param options see {@link ToWebRequestOptions}
 * @returns the Web request
 * @example
 * ```ts
 * const response = await auth.handler(toWebRequest(req))
 * ```
 * @see https://fetch.spec.whatwg.org/#request-class
 */
export function toWebRequest(req: NodeRequest, options: ToWebRequestOptions = {}): Request {
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string
    if (!name.startsWith(':')) headers.append(name, raw[i + 1] as string)
  }
  const method = (req.method ?? 'GET').toUpperCase()
  const init: RequestInit & { duplex?: 'half' } = { method, headers }
  if (method !== 'GET' && method !== 'HEAD') {
    if (!req.readableEnded) {
      init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>
      init.duplex = 'half'
    } else if (typeof req.body === 'string') {
      init.body = req.body
    } else if (req.body instanceof Uint8Array) {
      init.body = new Uint8Array(req.body)
    }
  }
  return new Request(new URL(targetOf(req), options.origin ?? hostOrigin(req)), init)
}

/**
 * The request as `auth.handler()` takes it: a Web `Request` streaming the body when nothing has
 * read it yet, else a request-like carrying what the body parser left (`express.urlencoded()`,
 * `@koa/bodyparser`, `@fastify/formbody`, or a raw string or buffer).
 *
 * @param req the Node request
 * @param parsed the parsed body, when the framework keeps it elsewhere than `req.body` (Koa)
 * @returns a `FormRequest`
 * @example
 * ```ts
 * const response = await auth.handler(toHandlerRequest(ctx.req, ctx.request.body))
 * ```
 */
export function toHandlerRequest(req: NodeRequest, parsed: unknown = req.body): FormRequest {
  if (!req.readableEnded) return toWebRequest(req)
  const body =
    typeof parsed === 'string' || parsed instanceof URLSearchParams
      ? parsed
      : parsed instanceof Uint8Array
        ? Buffer.from(parsed).toString('utf8')
        : typeof parsed === 'object' && parsed !== null
          ? (parsed as Record<string, unknown>)
          : ''
  return { ...fromNodeRequest(req), body }
}

const PENDING = Symbol.for('oidc-session.set-cookie')
type Tracked = ServerResponse & { [PENDING]?: Set<string> }

function setCookieList(value: unknown): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)]
}

function mergeSetCookies(res: ServerResponse, lines: Iterable<string>): void {
  const current = setCookieList(res.getHeader('set-cookie'))
  const missing = [...lines].filter((line) => !current.includes(line))
  if (missing.length > 0) res.setHeader('set-cookie', [...current, ...missing])
}

/** Put back, as headers are written, the lines a later `setHeader`/`writeHead` replaced. */
function restoreSetCookies(res: ServerResponse, pending: Set<string>, args: unknown[]): void {
  // writeHead(status, [message], headers): Set-Cookie given there replaces what setHeader() put.
  const headers = args.slice(1).find((arg) => typeof arg === 'object' && arg !== null)
  if (Array.isArray(headers)) {
    // The flat form [name, value, name, value…]: gather its Set-Cookie pairs into one, with ours.
    const given: string[] = []
    for (let i = headers.length - 2; i >= 0; i -= 2) {
      if (String(headers[i]).toLowerCase() !== 'set-cookie') continue
      given.unshift(...setCookieList(headers[i + 1]))
      headers.splice(i, 2)
    }
    if (given.length === 0) return mergeSetCookies(res, pending)
    headers.push('Set-Cookie', [...given, ...[...pending].filter((line) => !given.includes(line))])
    return
  }
  const record = headers as OutgoingHttpHeaders | undefined
  const key = record && Object.keys(record).find((name) => name.toLowerCase() === 'set-cookie')
  if (record && key !== undefined) {
    const list = setCookieList(record[key])
    for (const line of pending) if (!list.includes(line)) list.push(line)
    record[key] = list
  } else {
    mergeSetCookies(res, pending)
  }
}

/**
 * Append `Set-Cookie` lines to a Node response, keeping every line already there. The lines also
 * survive a later `res.setHeader('Set-Cookie', …)`, `writeHead(status, { 'set-cookie': … })` or a
 * framework clearing headers on error: they are put back when the headers are written. A line
 * already present is not repeated. Nothing happens once the headers are sent.
 *
 * @param res the Node response
 * @param cookies `Headers` (their `Set-Cookie` lines) or the lines
 * @example
 * ```ts
 * const { claims, headers } = await auth.userinfo(fromNodeRequest(req))
 * appendSetCookies(res, headers)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-3
 */
export function appendSetCookies(res: ServerResponse, cookies: Headers | readonly string[]): void {
  const lines = Array.isArray(cookies)
    ? (cookies as readonly string[])
    : (cookies as Headers).getSetCookie()
  if (lines.length === 0 || res.headersSent) return
  const tracked = res as Tracked
  let pending = tracked[PENDING]
  if (!pending) {
    const lines = new Set<string>()
    pending = tracked[PENDING] = lines
    const writeHead = res.writeHead as (...args: unknown[]) => ServerResponse
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      restoreSetCookies(this, lines, args)
      return writeHead.apply(this, args)
    } as ServerResponse['writeHead']
  }
  for (const line of lines) pending.add(line)
  mergeSetCookies(res, lines)
}

/**
 * Write a Web `Response` to a Node response: status, every header (`Set-Cookie` lines appended
 * with {@link appendSetCookies}), and the body streamed with back-pressure — none for `HEAD`,
 * `1xx`, `204` and `304`.
 *
 * @param res the Node response
 * @param response the Web response
 * @returns when the body is written (rejects when the client went away mid-body)
 * @example
 * ```ts
 * const response = await auth.handler(toWebRequest(req))
 * if (response) return sendWebResponse(res, response)
 * ```
 */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value)
  })
  appendSetCookies(res, response.headers)
  const body = response.body
  const status = response.status
  if (!body || res.req?.method === 'HEAD' || status < 200 || status === 204 || status === 304) {
    if (body) await body.cancel().catch(() => undefined)
    res.end()
    return
  }
  await pipeline(Readable.fromWeb(body as unknown as NodeReadableStream<Uint8Array>), res)
}

/**
 * Run `auth.protect()` for a Node request. With a session, its refreshed `Set-Cookie` lines are
 * appended to `res` and the context is returned; without, the failure answer (401 JSON for API
 * calls, 302 to login for navigations, 503 when the provider or store is down) is sent and
 * `undefined` returned.
 *
 * With `{ acr, maxAge, claims }` it asks for step-up (see `OidcSession.protect`): a session whose
 * authentication falls short gets `401` with `WWW-Authenticate: Bearer
 * error="insufficient_user_authentication"` (API call) or `302` to a login asking for
 * `acr_values` / `max_age` (navigation).
 *
 * @param auth from `createOidcSession`
 * @param req the Node request
 * @param res the Node response
 * @param options what the session's authentication must satisfy (step-up, RFC 9470)
 * @returns the {@link ProtectedOidcContext}, or `undefined` when the answer has been sent
 * @example
 * ```ts
 * const oidc = await protect(auth, req, res)
 * if (!oidc) return
 * res.end(`hello ${oidc.session.sub}`)
 * // step-up for an admin route
 * const admin = await protect(auth, req, res, { acr: ['urn:example:mfa'] })
 * ```
 */
export async function protect(
  auth: OidcSession,
  req: NodeRequest,
  res: ServerResponse,
  options?: ProtectOptions,
): Promise<ProtectedOidcContext | undefined> {
  const result = await auth.protect(fromNodeRequest(req), options)
  if (!result.ok) {
    await sendWebResponse(res, result.response)
    return undefined
  }
  appendSetCookies(res, result.headers)
  return toContext(result)
}

/**
 * Run `auth.authenticate()` for a Node request (login optional): its `Set-Cookie` lines are
 * appended to `res`, and the context says whether there is a session.
 *
 * @param auth from `createOidcSession`
 * @param req the Node request
 * @param res the Node response
 * @returns the {@link OidcContext}
 * @example
 * ```ts
 * const oidc = await authenticate(auth, req, res)
 * res.end(oidc.ok ? `hello ${oidc.session.sub}` : 'hello stranger')
 * ```
 */
export async function authenticate(
  auth: OidcSession,
  req: NodeRequest,
  res: ServerResponse,
): Promise<OidcContext> {
  const result = await auth.authenticate(fromNodeRequest(req))
  appendSetCookies(res, result.headers)
  return toContext(result)
}

/** Options of {@link handler}. */
export interface HandlerOptions {
  /**
   * Called with an error that is not the library's (`OidcSessionError`s become their answer).
   * Default `console.error`. The client gets a 500 either way.
   */
  onError?: (error: unknown, req: IncomingMessage) => void
}

/**
 * A `node:http` request listener: the auth routes of `auth.routes` served by `auth.handler()`,
 * every other request passed to `next` (or answered `404`). An `OidcSessionError` thrown by `next`
 * (for example `auth.userinfo()` without a session) becomes its answer through
 * `auth.errorResponse()` — 401/302, 503 —, any other error a 500.
 *
 * @param auth from `createOidcSession`
 * @param next the application's listener
 * @param options see {@link HandlerOptions}
 * @returns the listener for `http.createServer()`
 * @example
 * ```ts
 * http.createServer(handler(auth, async (req, res) => {
 *   const oidc = await protect(auth, req, res)
 *   if (oidc) res.end(`hello ${oidc.session.sub}`)
 * })).listen(3000)
 * ```
 */
export function handler(
  auth: OidcSession,
  next?: NodeListener,
  options: HandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const paths = new Set(Object.values(auth.routes))
  const onError = options.onError ?? ((error: unknown) => console.error(error))
  const run = async (req: IncomingMessage, res: ServerResponse) => {
    if (paths.has(pathOf(req))) {
      const response = await auth.handler(toHandlerRequest(req))
      if (response) return sendWebResponse(res, response)
    }
    if (!next) {
      res.statusCode = 404
      res.end()
      return
    }
    await next(req, res)
  }
  return (req, res) => {
    run(req, res).catch(async (error: unknown) => {
      const gone = (error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE'
      if (!(error instanceof OidcSessionError) && !gone) onError(error, req)
      if (res.headersSent) return void res.destroy()
      await sendWebResponse(res, auth.errorResponse(fromNodeRequest(req), error)).catch(() =>
        res.destroy(),
      )
    })
  }
}

/**
 * @deprecated Use {@link sendWebResponse}.
 * @example
 * ```ts
 * const response = await auth.handler(toWebRequest(req))
 * if (response) return sendWebResponse(res, response) // was: sendResponse(res, response)
 * ```
 */
export const sendResponse: typeof sendWebResponse = sendWebResponse
/**
 * @deprecated Use {@link appendSetCookies}.
 * @example
 * ```ts
 * const { headers } = await auth.accessToken(fromNodeRequest(req))
 * appendSetCookies(res, headers) // was: applySetCookies(res, headers)
 * ```
 */
export const applySetCookies: (res: ServerResponse, headers: Headers) => void = appendSetCookies
