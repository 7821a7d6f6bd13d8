/**
 * Merge a refresh response into the current token set.
 *
 * @module
 */
import { decodeJwt, type JWTPayload } from 'jose'
import { ProviderResponseError } from '../errors.js'
import type { TokenSet } from './token-set.js'

/**
 * Merge `next` (from a refresh response) over `current`:
 * - a missing `refresh_token` keeps the current one (RFC 6749 §6);
 * - a missing `id_token` keeps the current one;
 * - a new `id_token` must keep `iss`, `sub`, `aud` and `auth_time` (OpenID Connect Core §12.2),
 *   else the response is refused.
 *
 * @param current tokens before the refresh
 * @param next tokens built from the refresh response (already validated by `oauth4webapi`)
 * @param newIdTokenClaims validated claims of `next.idToken`, when there is one
 * @throws {@link ProviderResponseError} `ERR_PROVIDER_RESPONSE_INVALID` when §12.2 is violated
 * @see https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse
 */
export function mergeTokens(
  current: TokenSet,
  next: TokenSet,
  newIdTokenClaims?: JWTPayload,
): TokenSet {
  const merged: TokenSet = { ...next }
  if (merged.refreshToken === undefined && current.refreshToken !== undefined)
    merged.refreshToken = current.refreshToken
  if (merged.scope === undefined && current.scope !== undefined) merged.scope = current.scope
  if (next.idToken === undefined) {
    if (current.idToken !== undefined) merged.idToken = current.idToken
    return merged
  }
  if (current.idToken !== undefined) {
    const before = decodeJwt(current.idToken)
    const after = newIdTokenClaims ?? decodeJwt(next.idToken)
    const audience = (value: JWTPayload['aud']) => [value ?? []].flat().sort().join(' ')
    if (before.iss !== after.iss)
      throw new ProviderResponseError('refreshed id_token changed "iss"')
    if (before.sub !== after.sub)
      throw new ProviderResponseError('refreshed id_token changed "sub"')
    if (audience(before.aud) !== audience(after.aud))
      throw new ProviderResponseError('refreshed id_token changed "aud"')
    if (
      before.auth_time !== undefined &&
      after.auth_time !== undefined &&
      before.auth_time !== after.auth_time
    ) {
      throw new ProviderResponseError('refreshed id_token changed "auth_time"')
    }
  }
  return merged
}
