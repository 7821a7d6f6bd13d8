/**
 * The authorization response and code exchange.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import { CallbackError, OidcSessionError } from '../errors.js'
import type { AuthorizationRequest } from './authorize.js'
import { withDpopNonceRetry, type DpopKey } from './dpop.js'
import { providerFailure, safeCause, type ProviderContext } from './provider.js'

/**
 * Validate the authorization response against the transaction, exchange the code (with the PKCE
 * verifier) and validate the id_token (`nonce`, `iss`, `aud`, `exp`, `auth_time` with `max_age`).
 *
 * @param params the callback's query parameters
 * @param dpop the new session's DPoP key, when tokens are to be sender-constrained (RFC 9449 §5);
 *   a `use_dpop_nonce` answer is retried once with the provider's nonce
 * @param redirectUri the redirect URI the authorization request used (default: the configured one)
 * @returns the token endpoint response and the id_token's validated claims
 * @throws {@link CallbackError} `ERR_CALLBACK_STATE_MISMATCH` / `ERR_CALLBACK_PROVIDER_ERROR` / `ERR_CALLBACK_INVALID`
 * @throws `ProviderUnavailableError` when the token endpoint cannot be reached
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2 (`resource` on the code grant)
 */
export async function exchangeCode(
  context: ProviderContext,
  params: URLSearchParams,
  transaction: AuthorizationRequest,
  dpop?: DpopKey,
  redirectUri: URL = context.options.redirectUri,
): Promise<{ response: oauth.TokenEndpointResponse; claims: oauth.IDToken }> {
  const as = await context.metadata()
  let callbackParams: URLSearchParams
  try {
    callbackParams = oauth.validateAuthResponse(as, context.client, params, transaction.state)
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      throw new CallbackError(
        'ERR_CALLBACK_PROVIDER_ERROR',
        `the provider answered "${error.error}"`,
        { cause: safeCause(error), error: error.error },
      )
    }
    // oauth4webapi's error holds the callback parameters (the code) and the expected state.
    throw new CallbackError(
      'ERR_CALLBACK_STATE_MISMATCH',
      'the authorization response does not match the login transaction',
      { cause: safeCause(error) },
    )
  }
  const resources = context.options.resources
  const additionalParameters =
    resources?.default !== undefined ? { [resources.parameter]: resources.default } : undefined
  try {
    const result = await withDpopNonceRetry(dpop, async () => {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        context.client,
        context.clientAuth,
        callbackParams,
        redirectUri.href,
        transaction.codeVerifier,
        context.http({
          ...(additionalParameters ? { additionalParameters } : {}),
          ...(dpop ? { DPoP: dpop.handle } : {}),
        }),
      )
      return oauth.processAuthorizationCodeResponse(as, context.client, response, {
        expectedNonce: transaction.nonce,
        requireIdToken: true,
        ...(transaction.maxAge !== undefined ? { maxAge: transaction.maxAge } : {}),
      })
    })
    const claims = oauth.getValidatedIdTokenClaims(result)
    if (!claims)
      throw new CallbackError('ERR_CALLBACK_INVALID', 'the token response carries no id_token')
    return { response: result, claims }
  } catch (error) {
    if (error instanceof OidcSessionError) throw error
    const mapped = providerFailure(error, 'code exchange')
    if (mapped.transient) throw mapped
    throw new CallbackError('ERR_CALLBACK_INVALID', mapped.message, { cause: mapped.cause })
  }
}
