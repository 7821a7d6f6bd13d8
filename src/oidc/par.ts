/**
 * Pushed authorization requests (RFC 9126): the authorization parameters go to the provider over
 * the back channel first, and the browser only carries `client_id` and the `request_uri` it gave.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import { OidcSessionError, ProviderResponseError } from '../errors.js'
import { providerFailure, safeCause, type ProviderContext } from './provider.js'

/**
 * `true` when a login must push its parameters: the provider requires it
 * (`require_pushed_authorization_requests`), or the configuration asks for it. A provider that
 * requires PAR is never sent a plain authorization request.
 *
 * @param as the provider's metadata
 * @param context the provider layer (its `pushedAuthorizationRequests` option)
 * @returns whether to push
 * @example
 * ```ts
 * if (usePar(as, context)) url = await pushAuthorizationRequest(context, as, params)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9126#section-5 (`require_pushed_authorization_requests`)
 */
export function usePar(as: oauth.AuthorizationServer, context: ProviderContext): boolean {
  return (
    as.require_pushed_authorization_requests === true ||
    context.options.pushedAuthorizationRequests === true
  )
}

/**
 * Push `params` to the provider's PAR endpoint (authenticated as the client) and build the
 * authorization URL that refers to them.
 *
 * @param context the provider layer
 * @param as the provider's metadata
 * @param params every authorization request parameter (`client_id` included or not: it is set)
 * @returns the authorization endpoint with `client_id` and `request_uri` only
 * @throws `ProviderResponseError` (`ERR_PROVIDER_RESPONSE_INVALID`) when the provider has no PAR
 *   endpoint or refuses the request; `ProviderUnavailableError` (transient) when it cannot be
 *   reached
 * @example
 * ```ts
 * const url = await pushAuthorizationRequest(context, as, new URLSearchParams({ scope: 'openid', … }))
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9126#section-2
 */
export async function pushAuthorizationRequest(
  context: ProviderContext,
  as: oauth.AuthorizationServer,
  params: URLSearchParams,
): Promise<URL> {
  if (!as.pushed_authorization_request_endpoint || !as.authorization_endpoint) {
    throw new ProviderResponseError(
      as.require_pushed_authorization_requests === true
        ? 'the provider requires pushed authorization requests but has no pushed_authorization_request_endpoint'
        : 'pushed authorization requests are configured but the provider has no pushed_authorization_request_endpoint',
    )
  }
  try {
    const response = await oauth.pushedAuthorizationRequest(
      as,
      context.client,
      context.clientAuth,
      params,
      context.http(),
    )
    const result = await oauth.processPushedAuthorizationResponse(as, context.client, response)
    const url = new URL(as.authorization_endpoint)
    url.searchParams.set('client_id', context.client.client_id)
    url.searchParams.set('request_uri', result.request_uri)
    return url
  } catch (error) {
    if (error instanceof OidcSessionError) throw error
    if (error instanceof oauth.ResponseBodyError && error.status < 500 && error.status !== 429)
      throw new ProviderResponseError(`pushed authorization request refused: ${error.error}`, {
        cause: safeCause(error),
      })
    throw providerFailure(error, 'pushed authorization request')
  }
}
