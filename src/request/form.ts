/**
 * Reading an `application/x-www-form-urlencoded` body from a Web `Request`, or from a request-like
 * whose body a framework's body parser has already read.
 *
 * @module
 */
import { getHeader, type RequestLike } from './headers.js'

/**
 * A request whose form body may already have been read: a Web `Request` (its body is read here),
 * or a {@link RequestLike} carrying the body as body parsers leave it (`string`, `URLSearchParams`
 * or a parsed record).
 */
export type FormRequest =
  | Request
  | (RequestLike & { body?: string | URLSearchParams | Record<string, unknown> | undefined })

/** Why a form could not be read (the message says it to the client; it never quotes the body). */
export class FormError extends Error {
  override readonly name = 'FormError'
}

/** Largest form body read, in bytes (a logout token or a `form_post` response is a few KB). */
export const MAX_FORM_BYTES = 64 * 1024

/**
 * Read the form body of `request`.
 *
 * @param request a Web `Request` or a request-like with a parsed `body`
 * @returns the fields
 * @throws {@link FormError} when the content type is not a form, the body is missing or larger than
 *   {@link MAX_FORM_BYTES}
 * @example
 * ```ts
 * const form = await readForm(request)
 * const token = form.get('logout_token')
 * ```
 */
export async function readForm(request: FormRequest): Promise<URLSearchParams> {
  const type = getHeader(request, 'content-type')?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded')
    throw new FormError('expected an application/x-www-form-urlencoded body')
  if (typeof Request !== 'undefined' && request instanceof Request) {
    const text = await readLimited(request)
    return new URLSearchParams(text)
  }
  const body = (request as { body?: unknown }).body
  if (typeof body === 'string') {
    if (body.length > MAX_FORM_BYTES) throw new FormError('body too large')
    return new URLSearchParams(body)
  }
  if (body instanceof URLSearchParams) return body
  if (typeof body === 'object' && body !== null) {
    const params = new URLSearchParams()
    for (const [key, value] of Object.entries(body)) {
      for (const item of [value].flat()) if (typeof item === 'string') params.append(key, item)
    }
    return params
  }
  throw new FormError('no body')
}

/** The body as text, refusing more than {@link MAX_FORM_BYTES} without buffering past it. */
async function readLimited(request: Request): Promise<string> {
  const declared = Number(request.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_FORM_BYTES) throw new FormError('body too large')
  if (!request.body) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_FORM_BYTES) {
      await reader.cancel().catch(() => undefined)
      throw new FormError('body too large')
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}
