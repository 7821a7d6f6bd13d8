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
 * verifier) and validate the id_token (`nonce`, `iss`, `aud`, `azp`, `exp`, `iat`, `alg`, `auth_time`
 * with `max_age`). The response's `iss` must be the issuer, and is required when the provider
 * advertises `authorization_response_iss_parameter_supported` (RFC 9207).
 *
 * @param params the callback's query parameters
 * @param dpop the new session's DPoP key, when tokens are to be sender-constrained (RFC 9449 §5);
 *   a `use_dpop_nonce` answer is retried once with the provider's nonce
 * @param redirectUri the redirect URI the authorization request used (default: the configured one)
 * @returns the token endpoint response and the id_token's validated claims
 * @throws {@link CallbackError} `ERR_CALLBACK_STATE_MISMATCH` / `ERR_CALLBACK_PROVIDER_ERROR` /
 *   `ERR_CALLBACK_INVALID` (also for a response from another issuer, RFC 9207)
 * @throws `ProviderUnavailableError` when the token endpoint cannot be reached
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 * @see https://www.rfc-editor.org/rfc/rfc9207#section-2.4
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
    // RFC 9207 §2.4: with the right `state`, an `iss` other than the issuer (or none where the
    // provider says it sends one) is a response from another authorization server: a mix-up, named
    // as such (an error response included, whose `error` is then not believed).
    const iss = params.get('iss')
    if (
      params.get('state') === transaction.state &&
      (iss !== null
        ? iss !== as.issuer
        : as.authorization_response_iss_parameter_supported === true)
    )
      throw new CallbackError(
        'ERR_CALLBACK_INVALID',
        iss === null
          ? 'the authorization response carries no "iss" although the provider sends one (RFC 9207)'
          : 'the authorization response comes from another issuer (RFC 9207)',
      )
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
    // OpenID Connect Core §3.1.3.7 (5): an `azp` names the party the token was issued to.
    // (oauth4webapi checks it only when `aud` has several members.)
    if (claims.azp !== undefined && claims.azp !== context.client.client_id)
      throw new CallbackError(
        'ERR_CALLBACK_INVALID',
        'the id_token was issued to another party (azp)',
      )
    return { response: result, claims }
  } catch (error) {
    if (error instanceof OidcSessionError) throw error
    const mapped = providerFailure(error, 'code exchange')
    if (mapped.transient) throw mapped
    throw new CallbackError('ERR_CALLBACK_INVALID', mapped.message, { cause: mapped.cause })
  }
}
