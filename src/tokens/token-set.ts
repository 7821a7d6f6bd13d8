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
  /**
   * When {@link refreshToken} dies, when the provider said (Keycloak's `refresh_expires_in`, the
   * `refresh_token_expires_in` of Google's time-based access, Entra ID, GitHub…). Past it, the
   * session ends with `refresh-expired` once the access token expires, without a token call.
   */
  refreshExpiresAt?: number
  idToken?: string
  /** Granted scope, when the provider said. */
  scope?: string
}

/**
 * Build a {@link TokenSet} from a token endpoint response.
 *
 * @param response processed by `oauth4webapi`
 * @param now seconds since the epoch
 * @param refreshExpiresAt when the refresh token dies (seconds since the epoch), as the provider
 *   profile reads it from the response: the response's own refresh token, or, when it carries
 *   none, the one in use (see `mergeTokens`)
 * @returns the token set
 * @example
 * ```ts
 * const tokens = tokenSetFromResponse(result, now, profile.refreshTokenExpiresAt(result, now))
 * ```
 */
export function tokenSetFromResponse(
  response: TokenEndpointResponse,
  now: number,
  refreshExpiresAt?: number,
): TokenSet {
  const tokens: TokenSet = {
    accessToken: response.access_token,
    tokenType: response.token_type,
    issuedAt: now,
  }
  if (typeof response.expires_in === 'number') tokens.expiresAt = now + response.expires_in
  if (response.refresh_token) tokens.refreshToken = response.refresh_token
  if (refreshExpiresAt !== undefined && Number.isFinite(refreshExpiresAt))
    tokens.refreshExpiresAt = refreshExpiresAt
  if (response.id_token) tokens.idToken = response.id_token
  if (response.scope) tokens.scope = response.scope
  return tokens
}
