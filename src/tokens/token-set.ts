/**
 * The tokens a session holds.
 *
 * @module
 */
import type { TokenEndpointResponse } from 'oauth4webapi'

/** The tokens of one session. Times are seconds since the epoch. */
export interface TokenSet {
  accessToken: string
  /** `Bearer` (or `DPoP`), as the provider said. */
  tokenType: string
  /** When the access token expires; absent when the provider did not say (`expires_in`). */
  expiresAt?: number
  /**
   * When these tokens were received (the token response's time). With `expiresAt` it gives the
   * access token's lifetime, which bounds the refresh window (see `tokenState`).
   */
  issuedAt?: number
  refreshToken?: string
  idToken?: string
  /** Granted scope, when the provider said. */
  scope?: string
}

/**
 * Build a {@link TokenSet} from a token endpoint response.
 *
 * @param response processed by `oauth4webapi`
 * @param now seconds since the epoch
 */
export function tokenSetFromResponse(response: TokenEndpointResponse, now: number): TokenSet {
  const tokens: TokenSet = {
    accessToken: response.access_token,
    tokenType: response.token_type,
    issuedAt: now,
  }
  if (typeof response.expires_in === 'number') tokens.expiresAt = now + response.expires_in
  if (response.refresh_token) tokens.refreshToken = response.refresh_token
  if (response.id_token) tokens.idToken = response.id_token
  if (response.scope) tokens.scope = response.scope
  return tokens
}
