/**
 * RP-initiated logout URL and token revocation.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { EndSessionInput } from './profiles.js'
import { describe, providerFailure, type ProviderContext } from './provider.js'

/**
 * An application's own logout URL builder (`logout.endSession`): a URL (or an absolute URL string)
 * to redirect the browser to, `false` for a local logout only, `undefined` to let the provider
 * profile decide. May be async.
 *
 * @param input what the session knows at logout (see {@link EndSessionInput})
 * @returns the URL, `false` or `undefined`
 * @example
 * ```ts
 * const endSession: EndSessionHook = ({ metadata, clientId, postLogoutRedirectUri }) => {
 *   const url = new URL('/signout', metadata.issuer)
 *   url.searchParams.set('client', clientId)
 *   url.searchParams.set('return', postLogoutRedirectUri)
 *   return url
 * }
 * ```
 */
export type EndSessionHook = (
  input: EndSessionInput,
) => URL | string | false | undefined | Promise<URL | string | false | undefined>

/** What the logout flow knows about the session, for {@link endSessionUrl}. */
export type EndSessionFacts = Omit<EndSessionInput, 'metadata' | 'issuer' | 'clientId'>

/**
 * The provider logout URL for one logout: the application's `hook` first, then the provider
 * profile (RP-Initiated Logout for `generic`; Cognito's `/logout`, Auth0's `/v2/logout`, Entra's
 * `logout_hint`, Okta's required hint, none for Google), or `undefined` for a local logout only.
 *
 * @param context the provider
 * @param facts the hints, the post-logout URI and `state`
 * @param hook the `logout.endSession` option, if any
 * @param warn where a broken hook is reported (it then ends in a local logout)
 * @returns the URL, or `undefined`
 * @throws what `context.metadata()` throws (the caller logs out locally)
 * @example
 * ```ts
 * const url = await endSessionUrl(context, { idTokenHint, postLogoutRedirectUri, state })
 * ```
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 */
export async function endSessionUrl(
  context: ProviderContext,
  facts: EndSessionFacts,
  hook?: EndSessionHook,
  warn: (message: string) => void = () => undefined,
): Promise<URL | undefined> {
  const [metadata, profile] = await Promise.all([context.metadata(), context.profile()])
  const input: EndSessionInput = {
    ...facts,
    metadata: metadata as EndSessionInput['metadata'],
    issuer: context.options.issuer.href,
    clientId: context.options.client.id,
  }
  if (hook) {
    let answer: unknown
    try {
      answer = await hook(input)
    } catch (error) {
      warn(`oidc-session: "logout.endSession" threw (${describe(error)}): local logout only`)
      return undefined
    }
    if (answer === false) return undefined
    if (answer !== undefined) {
      const url = absoluteUrl(answer)
      if (url) return url
      warn('oidc-session: "logout.endSession" answered no absolute http(s) URL: local logout only')
      return undefined
    }
  }
  return profile.endSessionUrl(input)
}

function absoluteUrl(value: unknown): URL | undefined {
  if (!(value instanceof URL) && typeof value !== 'string') return undefined
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined
  } catch {
    return undefined
  }
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
