/**
 * The authorization request (authorization code flow, PKCE S256, `state`, `nonce`).
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import { pushAuthorizationRequest, usePar } from './par.js'
import type { ProviderProfile } from './profiles.js'
import type { ProviderContext, ProviderOptions } from './provider.js'

/** What the code exchange needs to finish this authorization request (kept by the caller). */
export interface AuthorizationRequest {
  state: string
  nonce: string
  codeVerifier: string
  /** `max_age` requested, to check `auth_time`. */
  maxAge?: number
}

/** Options of {@link buildAuthorizationUrl} for one login. */
export interface AuthorizationOptions {
  /**
   * Ask the provider to issue a refresh token again although the user consented before: the
   * previous session ended because it had none (Google issues one only at the first consent,
   * or with `prompt=consent`). Profiles that need nothing for it ignore it.
   */
  reconsent?: boolean
  /** The redirect URI for this request (`trustProxy`: on the request's origin). Default: the configured one. */
  redirectUri?: URL
}

/**
 * Build the authorization URL and what the code exchange will need.
 *
 * The scope is the configured one as adjusted by the provider profile (the default scope without
 * `offline_access` where the provider refuses it), and the profile adds its own parameters
 * (Google: `access_type=offline`, and `prompt=consent` on `reconsent`).
 *
 * @param context the provider
 * @param extra extra authorization parameters for this login (`prompt`, `login_hint`, …); they
 *   override the configured ones but never the protocol's own (`state`, `nonce`, PKCE, …)
 * @param options see {@link AuthorizationOptions}
 * @returns the URL to send the browser to, and the {@link AuthorizationRequest} to keep; with
 *   pushed authorization requests (required by the provider, or configured), the parameters were
 *   pushed first and the URL carries only `client_id` and `request_uri`
 * @throws `ProviderResponseError` when a required pushed authorization request is refused;
 *   `ProviderUnavailableError` when the provider cannot be reached
 * @example
 * ```ts
 * const { url, request } = await buildAuthorizationUrl(context, { prompt: 'login' })
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 * @see https://www.rfc-editor.org/rfc/rfc7636 (PKCE)
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.1 (`resource` on the authorization request)
 * @see https://www.rfc-editor.org/rfc/rfc9126 (PAR)
 */
export async function buildAuthorizationUrl(
  context: ProviderContext,
  extra: Readonly<Record<string, string>> = {},
  options: AuthorizationOptions = {},
): Promise<{ url: URL; request: AuthorizationRequest }> {
  const [as, profile] = await Promise.all([context.metadata(), context.profile()])
  if (!as.authorization_endpoint) throw new TypeError('the provider has no authorization_endpoint')
  const config = context.options
  const scope = loginScope(config, as, profile)
  const codeVerifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const nonce = oauth.generateRandomNonce()
  const url = new URL(as.authorization_endpoint)
  const params: Record<string, string> = { ...config.authorizationParams, ...extra }
  Object.assign(
    params,
    profile.authorizationParameters({
      scope,
      offline: config.scope.split(' ').includes('offline_access'),
      prompt: params.prompt,
      reconsent: options.reconsent === true,
    }),
  )
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
  url.searchParams.set('client_id', config.client.id)
  url.searchParams.set('redirect_uri', (options.redirectUri ?? config.redirectUri).href)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('scope', scope)
  url.searchParams.set('state', state)
  url.searchParams.set('nonce', nonce)
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier))
  url.searchParams.set('code_challenge_method', 'S256')
  const resources = config.resources
  if (resources && !url.searchParams.has(resources.parameter))
    for (const resource of resources.login) url.searchParams.append(resources.parameter, resource)
  const target = usePar(as, context)
    ? await pushAuthorizationRequest(context, as, url.searchParams)
    : url
  const request: AuthorizationRequest = { state, nonce, codeVerifier }
  const maxAge = Number(params.max_age)
  if (params.max_age !== undefined && Number.isInteger(maxAge) && maxAge >= 0)
    request.maxAge = maxAge
  return { url: target, request }
}

/**
 * The scope every login requests: the configured scope as the provider profile adjusts it to the
 * discovered `scopes_supported`. The refresh grant sends it again where the profile asks for it.
 *
 * @param config the provider options (configured scope, whether it was explicit)
 * @param as the discovered metadata
 * @param profile the provider profile
 * @returns the scope
 */
export function loginScope(
  config: Pick<ProviderOptions, 'scope' | 'scopeExplicit'>,
  as: Pick<oauth.AuthorizationServer, 'scopes_supported'>,
  profile: ProviderProfile,
): string {
  return profile.scope({
    scope: config.scope,
    explicit: config.scopeExplicit,
    scopesSupported: Array.isArray(as.scopes_supported) ? as.scopes_supported : undefined,
  })
}
