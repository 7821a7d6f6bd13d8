/**
 * RP-initiated logout URL and token revocation.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import { providerFailure, type ProviderContext } from './provider.js'

/**
 * Build the `end_session_endpoint` URL, or `undefined` when the provider has none.
 *
 * @param idTokenHint the freshest id_token known, if any
 * @param postLogoutRedirectUri where the provider sends the user afterwards
 * @param state opaque value echoed back to the post-logout redirect
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 */
export async function buildEndSessionUrl(
  context: ProviderContext,
  options: {
    idTokenHint?: string
    logoutHint?: string
    postLogoutRedirectUri: string
    state?: string
  },
): Promise<URL | undefined> {
  const as = await context.metadata()
  if (!as.end_session_endpoint) return undefined
  const url = new URL(as.end_session_endpoint)
  url.searchParams.set('client_id', context.options.client.id)
  if (options.idTokenHint) url.searchParams.set('id_token_hint', options.idTokenHint)
  else if (options.logoutHint) url.searchParams.set('logout_hint', options.logoutHint)
  url.searchParams.set('post_logout_redirect_uri', options.postLogoutRedirectUri)
  if (options.state) url.searchParams.set('state', options.state)
  return url
}

/**
 * Revoke a token (RFC 7009). No `revocation_endpoint` → nothing to do.
 *
 * @throws `ProviderUnavailableError` / `ProviderResponseError`
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export async function revokeToken(
  context: ProviderContext,
  token: string,
  hint: 'refresh_token' | 'access_token',
  timeoutMs: number,
): Promise<boolean> {
  try {
    const as = await context.metadata()
    if (!as.revocation_endpoint) return false
    const response = await oauth.revocationRequest(as, context.client, context.clientAuth, token, {
      ...context.http(),
      signal: () => AbortSignal.timeout(timeoutMs),
      additionalParameters: { token_type_hint: hint },
    })
    await oauth.processRevocationResponse(response)
    return true
  } catch (error) {
    throw providerFailure(error, 'revocation')
  }
}
