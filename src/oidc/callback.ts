/**
 * The authorization response and code exchange.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import { CallbackError, OidcSessionError } from '../errors.js'
import type { AuthorizationRequest } from './authorize.js'
import { providerFailure, safeCause, type ProviderContext } from './provider.js'

/**
 * Validate the authorization response against the transaction, exchange the code (with the PKCE
 * verifier) and validate the id_token (`nonce`, `iss`, `aud`, `exp`, `auth_time` with `max_age`).
 *
 * @param params the callback's query parameters
 * @param redirectUri the redirect URI the authorization request used (default: the configured one)
 * @returns the token endpoint response and the id_token's validated claims
 * @throws {@link CallbackError} `ERR_CALLBACK_STATE_MISMATCH` / `ERR_CALLBACK_PROVIDER_ERROR` / `ERR_CALLBACK_INVALID`
 * @throws `ProviderUnavailableError` when the token endpoint cannot be reached
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 */
export async function exchangeCode(
  context: ProviderContext,
  params: URLSearchParams,
  transaction: AuthorizationRequest,
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
  try {
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      context.client,
      context.clientAuth,
      callbackParams,
      redirectUri.href,
      transaction.codeVerifier,
      context.http(),
    )
    const result = await oauth.processAuthorizationCodeResponse(as, context.client, response, {
      expectedNonce: transaction.nonce,
      requireIdToken: true,
      ...(transaction.maxAge !== undefined ? { maxAge: transaction.maxAge } : {}),
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
