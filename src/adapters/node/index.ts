/**
 * `node:http` glue: turn an `IncomingMessage` into what the core takes, and write a Web `Response`
 * (or `Set-Cookie` headers) to a `ServerResponse`.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestLike } from '../../request/headers.js'

/**
 * A request-like view of a Node request. The URL is the request target as received (a path); the
 * core resolves it against the configured app origin, so a spoofed `Host` header cannot change it.
 */
export function fromNodeRequest(req: IncomingMessage & { originalUrl?: string }): RequestLike {
  return {
    url: req.originalUrl ?? req.url ?? '/',
    method: req.method ?? 'GET',
    headers: req.headers,
  }
}

/** Largest form body read by {@link readFormBody}, in bytes. */
const MAX_FORM_BYTES = 64 * 1024

/**
 * The request's body as text for the core's form routes: what a body parser already left on
 * `req.body` (a string or a parsed record), else read from the stream (at most 64 KiB; more reads
 * as empty, which the core refuses).
 */
export async function readFormBody(
  req: IncomingMessage & { body?: unknown },
): Promise<string | Record<string, unknown>> {
  const parsed = req.body
  if (
    typeof parsed === 'string' ||
    (typeof parsed === 'object' && parsed !== null && Object.keys(parsed).length > 0)
  )
    return parsed as string | Record<string, unknown>
  if (req.readableEnded) return ''
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += bytes.length
    if (size > MAX_FORM_BYTES) return ''
    chunks.push(bytes)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Append `Set-Cookie` lines (and nothing else) from `headers` to `res`. */
export function applySetCookies(res: ServerResponse, headers: Headers): void {
  const lines = headers.getSetCookie()
  if (lines.length === 0) return
  const existing = res.getHeader('set-cookie')
  const previous =
    existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)]
  res.setHeader('set-cookie', [...previous, ...lines])
}

/** Write a Web `Response` (status, headers — `Set-Cookie` included — and body) to `res`. */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value)
  })
  applySetCookies(res, response.headers)
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined
  res.end(body)
}
