/**
 * The refresh token grant.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import { RefreshRejectedError } from '../errors.js'
import { mergeTokens } from '../tokens/merge.js'
import { tokenSetFromResponse, type TokenSet } from '../tokens/token-set.js'
import { providerFailure, type ProviderContext } from './provider.js'

/**
 * Refresh `tokens` at the token endpoint and merge the answer (see `mergeTokens`).
 *
 * @param now seconds since the epoch
 * @param parameters extra token request parameters (`scope`, `resource`)
 * @throws {@link RefreshRejectedError} `ERR_REFRESH_INVALID_GRANT` when the provider refuses the grant
 * @throws `ProviderUnavailableError` (transient) for network errors, timeouts, 5xx, non-JSON bodies
 * @throws `ProviderResponseError` for other invalid answers
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export async function refreshTokens(
  context: ProviderContext,
  tokens: TokenSet,
  now: number,
  parameters?: Record<string, string>,
): Promise<TokenSet> {
  if (!tokens.refreshToken) throw new RefreshRejectedError('the session has no refresh token')
  try {
    const as = await context.metadata()
    const response = await oauth.refreshTokenGrantRequest(
      as,
      context.client,
      context.clientAuth,
      tokens.refreshToken,
      context.http(parameters ? { additionalParameters: parameters } : {}),
    )
    const result = await oauth.processRefreshTokenResponse(as, context.client, response)
    return mergeTokens(
      tokens,
      tokenSetFromResponse(result, now),
      oauth.getValidatedIdTokenClaims(result),
    )
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant') {
      throw new RefreshRejectedError('the provider rejected the refresh token (invalid_grant)', {
        cause: error,
      })
    }
    throw providerFailure(error, 'refresh')
  }
}
