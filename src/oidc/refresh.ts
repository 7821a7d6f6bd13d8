/**
 * The refresh token grant.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import { OidcSessionError, RefreshRefusedError, RefreshRejectedError } from '../errors.js'
import { mergeTokens } from '../tokens/merge.js'
import { tokenSetFromResponse, type TokenSet } from '../tokens/token-set.js'
import { loginScope } from './authorize.js'
import { withDpopNonceRetry, type DpopKey } from './dpop.js'
import { challengeError, providerFailure, safeCause, type ProviderContext } from './provider.js'

/**
 * Refresh `tokens` at the token endpoint and merge the answer (see `mergeTokens`). The provider
 * profile adds its refresh parameters (Entra ID: the login's `scope`, which some set-ups require)
 * and reads when the new refresh token dies (`refresh_expires_in`, `refresh_token_expires_in`).
 *
 * @param now seconds since the epoch
 * @param parameters extra token request parameters (`scope`, `resource`); they override the
 *   profile's. Without any, the configured default resource (RFC 8707) is asked for, if there is one
 * @param dpop the session's DPoP key (RFC 9449 §5): the request carries a proof, and a
 *   `use_dpop_nonce` answer is retried once with the provider's nonce
 * @throws {@link RefreshRejectedError} `ERR_REFRESH_INVALID_GRANT` when the provider refuses the grant
 * @throws {@link RefreshRefusedError} `ERR_REFRESH_REFUSED` for any other OAuth error answer below 500
 *   (`invalid_client`, `unauthorized_client`, `invalid_scope`…)
 * @throws `ProviderUnavailableError` (transient) for network errors, timeouts, 429, 5xx, non-JSON bodies
 * @throws `ProviderResponseError` for answers we refuse (a bad id_token, OpenID Connect Core §12.2)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2 (`resource` on the refresh grant)
 */
export async function refreshTokens(
  context: ProviderContext,
  tokens: TokenSet,
  now: number,
  parameters?: Record<string, string>,
  dpop?: DpopKey,
): Promise<TokenSet> {
  const refreshToken = tokens.refreshToken
  if (!refreshToken) throw new RefreshRejectedError('the session has no refresh token')
  const resources = context.options.resources
  const requested =
    parameters ??
    (resources?.default !== undefined ? { [resources.parameter]: resources.default } : undefined)
  try {
    const [as, profile] = await Promise.all([context.metadata(), context.profile()])
    // The profile's parameters (Entra: the login's `scope`) under the caller's own.
    const additionalParameters = {
      ...profile.refreshParameters({ scope: loginScope(context.options, as, profile) }),
      ...requested,
    }
    const result = await withDpopNonceRetry(dpop, async () => {
      const response = await oauth.refreshTokenGrantRequest(
        as,
        context.client,
        context.clientAuth,
        refreshToken,
        context.http({
          ...(Object.keys(additionalParameters).length > 0 ? { additionalParameters } : {}),
          ...(dpop ? { DPoP: dpop.handle } : {}),
        }),
      )
      return oauth.processRefreshTokenResponse(as, context.client, response)
    })
    return mergeTokens(
      tokens,
      tokenSetFromResponse(result, now, profile.refreshTokenExpiresAt(result, now)),
      oauth.getValidatedIdTokenClaims(result),
    )
  } catch (error) {
    if (error instanceof OidcSessionError) throw error
    if (error instanceof oauth.ResponseBodyError) {
      if (error.error === 'invalid_grant')
        throw new RefreshRejectedError('the provider rejected the refresh token (invalid_grant)', {
          cause: safeCause(error),
        })
      if (error.status < 500 && error.status !== 429)
        throw new RefreshRefusedError(error.error, { cause: safeCause(error) })
    }
    // A 401 with a challenge (`WWW-Authenticate: Basic …`): the client was not authenticated.
    if (error instanceof oauth.WWWAuthenticateChallengeError && error.status < 500)
      throw new RefreshRefusedError(challengeError(error) ?? 'invalid_client', {
        cause: safeCause(error),
      })
    throw providerFailure(error, 'refresh')
  }
}
