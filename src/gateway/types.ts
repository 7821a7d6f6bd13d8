/**
 * The public types of `auth.forward()`.
 *
 * @module
 */
import type { RequestLike } from '../request/headers.js'

/**
 * A request `forward()` accepts: a Web `Request`, or a request-like with its body (a stream, bytes
 * or a string; never read into memory by the gateway) and an optional abort signal.
 */
export interface ForwardRequest extends RequestLike {
  readonly body?: ReadableStream<Uint8Array> | Uint8Array | string | null
  /** Aborted when the client goes away: the upstream request is aborted too. */
  readonly signal?: AbortSignal
}

/** Options of `forward()`. */
export interface ForwardOptions {
  /**
   * Present the session's token for this resource (RFC 8707 indicator, or audience): obtained with
   * the refresh token and cached in the session (see `accessToken(request, { resource })`).
   * Default: the session's own access token.
   */
  resource?: string
  /**
   * Send `X-Forwarded-User` (the session's `sub`) and, when the id_token has one,
   * `X-Forwarded-Email`. Whatever the client sent under these names is removed either way.
   * Default `true`.
   */
  identityHeaders?: boolean
  /**
   * Give up when the upstream has not answered (status and headers) within this many
   * milliseconds, and answer `504`. Default: no limit.
   */
  timeoutMs?: number
  /** The client's address for `X-Forwarded-For` (the core never sees the socket). */
  clientAddress?: string
  /**
   * Keep the request's `X-Forwarded-For` (a trusted proxy in front of the gateway set it) and
   * append `clientAddress`. Default `false`: the client's value is dropped.
   */
  trustForwardedFor?: boolean
  /**
   * Allow a plain-HTTP upstream that is not on loopback (the token then travels in clear text).
   * Default `false`: only `https:` and loopback `http:` upstreams.
   */
  allowInsecureRequests?: boolean
  /**
   * Keeps a refresh started by this request alive past it (Cloudflare Workers' `ctx.waitUntil`,
   * Vercel's `waitUntil`), as for every other method.
   */
  waitUntil?: (promise: Promise<unknown>) => void
}
