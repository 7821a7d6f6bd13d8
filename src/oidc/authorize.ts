/**
 * The authorization request (authorization code flow, PKCE S256, `state`, `nonce`).
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ProviderContext } from './provider.js'

/** What the code exchange needs to finish this authorization request (kept by the caller). */
export interface AuthorizationRequest {
  state: string
  nonce: string
  codeVerifier: string
  /** `max_age` requested, to check `auth_time`. */
  maxAge?: number
}

/**
 * Build the authorization URL and what the code exchange will need.
 *
 * @param context the provider
 * @param extra extra authorization parameters for this login (`prompt`, `login_hint`, …); they
 *   override the configured ones but never the protocol's own (`state`, `nonce`, PKCE, …)
 * @param redirectUri the redirect URI for this request (default: the configured one)
 * @returns the URL to send the browser to, and the {@link AuthorizationRequest} to keep
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 * @see https://www.rfc-editor.org/rfc/rfc7636 (PKCE)
 */
export async function buildAuthorizationUrl(
  context: ProviderContext,
  extra: Readonly<Record<string, string>> = {},
  redirectUri: URL = context.options.redirectUri,
): Promise<{ url: URL; request: AuthorizationRequest }> {
  const as = await context.metadata()
  if (!as.authorization_endpoint) throw new TypeError('the provider has no authorization_endpoint')
  const config = context.options
  const codeVerifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const nonce = oauth.generateRandomNonce()
  const url = new URL(as.authorization_endpoint)
  const params = { ...config.authorizationParams, ...extra }
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
  url.searchParams.set('client_id', config.client.id)
  url.searchParams.set('redirect_uri', redirectUri.href)
  url.searchParams.set('response_type', 'code')
  if (!url.searchParams.has('scope')) url.searchParams.set('scope', config.scope)
  url.searchParams.set('state', state)
  url.searchParams.set('nonce', nonce)
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier))
  url.searchParams.set('code_challenge_method', 'S256')
  const request: AuthorizationRequest = { state, nonce, codeVerifier }
  const maxAge = Number(params.max_age)
  if (params.max_age !== undefined && Number.isInteger(maxAge) && maxAge >= 0)
    request.maxAge = maxAge
  return { url, request }
}
