/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9), shared by every session's key.
 *
 * @module
 */
import { BoundedMap } from '../lib/bounded-map.js'

/**
 * Server-provided DPoP nonces (RFC 9449 §8 and §9), by origin, shared by every session: a nonce
 * learned by one session's request is used by the next proof of any session to that origin, so
 * only the first request per origin and nonce lifetime meets `use_dpop_nonce`.
 *
 * @example
 * ```ts
 * const nonces = new DpopNonces()
 * nonces.observe(url, response) // after any DPoP-signed request
 * nonces.get(new URL(url).origin) // the nonce for the next proof
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8
 */
export class DpopNonces {
  readonly #byOrigin = new BoundedMap<string, string>(256)

  /**
   * The last nonce `origin` gave, if any.
   *
   * @param origin an origin (`https://api.example`)
   * @returns the nonce, or `undefined`
   */
  get(origin: string): string | undefined {
    return this.#byOrigin.get(origin)
  }

  /**
   * Remember the `DPoP-Nonce` header of a response to `url` (nothing when it has none).
   *
   * @param url the URL the request went to
   * @param response the response
   */
  observe(url: string | URL, response: Response): void {
    const nonce = response.headers.get('dpop-nonce')
    if (!nonce) return
    try {
      this.#byOrigin.set(new URL(url).origin, nonce)
    } catch {
      // not a URL: nothing to key the nonce by
    }
  }
}
