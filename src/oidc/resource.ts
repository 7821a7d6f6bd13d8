/**
 * A request to a protected resource (an API behind the gateway), through `oauth4webapi`: the
 * access token in `Authorization` (`Bearer`, or `DPoP` with a proof bound to it).
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { DpopKey } from './dpop.js'
import type { DpopNonces } from './dpop-nonces.js'

/** A parsed `WWW-Authenticate` challenge. */
export interface ResourceChallenge {
  /** Lower-case scheme (`bearer`, `dpop`). */
  readonly scheme: string
  readonly parameters: { readonly error?: string | undefined }
}

/** Options of {@link requestResource}. */
export interface ResourceRequestOptions {
  /** The session's key when the token is sender-constrained: a proof with `ath` goes along. */
  dpop?: DpopKey | undefined
  /** Aborts the request (a timeout, or the client going away). */
  signal?: AbortSignal | undefined
  /** Allow a plain-HTTP resource (the caller has decided it may). */
  allowInsecureRequests?: boolean
  /** Replacement `fetch`. */
  fetch?: typeof fetch | undefined
  /** Where a `DPoP-Nonce` the resource answers with is remembered for every session. */
  nonces: DpopNonces
}

/**
 * Send one request to a protected resource with `accessToken`. The answer is returned whatever its
 * status; the challenges of a `WWW-Authenticate` header come parsed beside it.
 *
 * @param accessToken the token to present
 * @param method the request method
 * @param url the resource's URL
 * @param headers the request headers (no `Authorization`: it is set here)
 * @param body the request body, streamed when it is a stream
 * @param options see {@link ResourceRequestOptions}
 * @returns the response and its parsed challenges (none when it has no `WWW-Authenticate`)
 * @throws whatever `fetch` throws (the resource cannot be reached, or the signal aborted)
 * @example
 * ```ts
 * const { response, challenges } = await requestResource(token, 'GET', new URL('https://api.example/x'), new Headers(), null, { nonces })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7
 */
export async function requestResource(
  accessToken: string,
  method: string,
  url: URL,
  headers: Headers,
  body: ReadableStream<Uint8Array> | Uint8Array | string | null,
  options: ResourceRequestOptions,
): Promise<{ response: Response; challenges: readonly ResourceChallenge[] }> {
  const send = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init))
  const requestOptions: oauth.ProtectedResourceRequestOptions = {
    [oauth.customFetch]: async (target, init) => {
      const response = await send(target, init as RequestInit)
      options.nonces.observe(target, response)
      return response
    },
  }
  if (options.allowInsecureRequests) requestOptions[oauth.allowInsecureRequests] = true
  if (options.signal) requestOptions.signal = options.signal
  if (options.dpop) requestOptions.DPoP = options.dpop.handle
  try {
    const response = await oauth.protectedResourceRequest(
      accessToken,
      method,
      url,
      headers,
      body,
      requestOptions,
    )
    return { response, challenges: [] }
  } catch (error) {
    // Any WWW-Authenticate header: oauth4webapi parsed its challenges; the answer goes on.
    if (error instanceof oauth.WWWAuthenticateChallengeError)
      return { response: error.response, challenges: error.cause }
    throw error
  }
}
