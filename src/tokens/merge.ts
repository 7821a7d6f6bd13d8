/**
 * Merge a refresh response into the current token set.
 *
 * @module
 */
import { ProviderResponseError } from '../errors.js'
import { jwtClaims, type JwtClaims } from './claims.js'
import type { TokenSet } from './token-set.js'

/** The claims of a JWT, or `undefined` when it does not decode (never throws; decoded once). */
function claimsOf(token: string): Readonly<JwtClaims> | undefined {
  return jwtClaims(token)
}

/** An `aud` claim as a canonical string (order-insensitive); `undefined` for a malformed claim. */
function audienceOf(value: unknown): string | undefined {
  if (value === undefined) return ''
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string'))
    return [...(value as string[])].sort().join(' ')
  return undefined
}

/**
 * Merge `next` (from a refresh response) over `current`:
 * - a missing `refresh_token` keeps the current one (RFC 6749 §6), and its `refreshExpiresAt`
 *   unless the response gives a new one; a new `refresh_token` comes with the response's expiry
 *   (none when the response says nothing);
 * - a missing `id_token` keeps the current one, a missing `scope` the current scope;
 * - a new `id_token` must keep `iss`, `sub`, `aud`, `azp` and `auth_time`, carry no other `nonce`
 *   than the original one, and not be issued (`iat`) before the current one (OpenID Connect Core
 *   §12.2), else the response is refused.
 *
 * A current `id_token` that does not decode (corrupted at rest) is no evidence to compare with: the
 * new one, already validated by `oauth4webapi`, replaces it. A new `id_token` that does not decode
 * is refused. `mergeTokens` throws nothing but {@link ProviderResponseError}.
 *
 * @param current tokens before the refresh
 * @param next tokens built from the refresh response (already validated by `oauth4webapi`)
 * @param newIdTokenClaims validated claims of `next.idToken`, when there is one
 * @returns the merged token set (neither input is modified)
 * @throws {@link ProviderResponseError} `ERR_PROVIDER_RESPONSE_INVALID` when §12.2 is violated or
 *   the new id_token does not decode
 * @example
 * ```ts
 * const merged = mergeTokens(session.tokens, tokenSetFromResponse(response, now), claims)
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export function mergeTokens(
  current: TokenSet,
  next: TokenSet,
  newIdTokenClaims?: JwtClaims,
): TokenSet {
  const merged: TokenSet = { ...next }
  if (merged.refreshToken === undefined && current.refreshToken !== undefined) {
    merged.refreshToken = current.refreshToken
    // The refresh token in use lives on: its expiry too, unless the response restates it.
    if (merged.refreshExpiresAt === undefined && current.refreshExpiresAt !== undefined)
      merged.refreshExpiresAt = current.refreshExpiresAt
  }
  if (merged.scope === undefined && current.scope !== undefined) merged.scope = current.scope
  if (next.idToken === undefined) {
    if (current.idToken !== undefined) merged.idToken = current.idToken
    return merged
  }
  const after = newIdTokenClaims ?? claimsOf(next.idToken)
  if (after === undefined) throw new ProviderResponseError('refreshed id_token is not a valid JWT')
  const before = current.idToken === undefined ? undefined : claimsOf(current.idToken)
  if (before === undefined) return merged
  if (before.iss !== after.iss) throw new ProviderResponseError('refreshed id_token changed "iss"')
  if (before.sub !== after.sub) throw new ProviderResponseError('refreshed id_token changed "sub"')
  const audBefore = audienceOf(before.aud)
  const audAfter = audienceOf(after.aud)
  if (audAfter === undefined || (audBefore !== undefined && audBefore !== audAfter))
    throw new ProviderResponseError('refreshed id_token changed "aud"')
  if (
    before.auth_time !== undefined &&
    after.auth_time !== undefined &&
    before.auth_time !== after.auth_time
  ) {
    throw new ProviderResponseError('refreshed id_token changed "auth_time"')
  }
  // §12.2: "its iat Claim MUST represent the time that the new ID Token is issued" — never before
  // the token it replaces.
  if (typeof before.iat === 'number' && typeof after.iat === 'number' && after.iat < before.iat)
    throw new ProviderResponseError('refreshed id_token was issued before the current one ("iat")')
  if (after.nonce !== undefined && after.nonce !== before.nonce)
    throw new ProviderResponseError('refreshed id_token changed "nonce"')
  // §12.2: "its azp Claim Value MUST be the same as in the ID Token issued when the original
  // authentication occurred; if no azp Claim was present in the original ID Token, one MUST NOT
  // be present in the new ID Token".
  if (after.azp !== before.azp) throw new ProviderResponseError('refreshed id_token changed "azp"')
  return merged
}
