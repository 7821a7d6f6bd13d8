/**
 * Discovery of the provider's metadata, with the issuer check of OpenID Connect Discovery §4.3
 * made explicit: a mismatch is a configuration error of its own, and Microsoft Entra ID's
 * multi-tenant `{tenantid}` issuer template is accepted and checked on every token instead.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import { DiscoveryIssuerMismatchError } from '../errors.js'
import { compareIssuers, issuerMatchesTemplate } from './profiles.js'

/**
 * `oauth4webapi`'s hooks for templated issuers. Both are exported by its build but not declared in
 * its typings (openid-client v6 relies on them); `test/oidc/discovery.test.ts` pins that they exist
 * and behave:
 * - `_nodiscoverycheck`, passed as the expected issuer of `processDiscoveryResponse`, skips the
 *   exact comparison (done here, with {@link compareIssuers});
 * - `_expectedIssuer`, a function member of the `AuthorizationServer` object, gives the `iss` every
 *   JWT of that server must carry (id_tokens of the code and refresh grants, signed userinfo).
 */
const hooks = oauth as unknown as {
  readonly _nodiscoverycheck?: unknown
  readonly _expectedIssuer?: unknown
}

/** What no `iss` claim can equal (an issuer identifier is a URL). */
const NO_ISSUER = '\u0000no issuer matches'

/** `true` when this `oauth4webapi` build has the hooks a `{tenantid}` template needs. */
export function templateHooksAvailable(): boolean {
  return typeof hooks._nodiscoverycheck === 'symbol' && typeof hooks._expectedIssuer === 'symbol'
}

/**
 * Fetch and validate the discovery document of `issuer`.
 *
 * The document's `issuer` must be the configured one ({@link compareIssuers} `'match'`), or — the
 * Entra ID multi-tenant case (`…/common/v2.0`, `…/organizations/v2.0`) — the `{tenantid}` template
 * of it (`'template'`): every id_token must then carry as `iss` the template with its own `tid`
 * claim, which `oauth4webapi` checks through `_expectedIssuer` when it validates the token.
 *
 * @param issuer the configured issuer
 * @param options `oauth4webapi` request options (timeout, custom fetch, insecure loopback)
 * @returns the metadata
 * @throws {@link DiscoveryIssuerMismatchError} `ERR_DISCOVERY_ISSUER_MISMATCH` when the document names
 *   another issuer (naming both)
 * @throws what `oauth4webapi` throws for an unreachable provider or a malformed document (the
 *   caller maps it to `DiscoveryError`)
 * @example
 * ```ts
 * const as = await discover(new URL('https://login.microsoftonline.com/common/v2.0'), { algorithm: 'oidc' })
 * as.issuer // 'https://login.microsoftonline.com/{tenantid}/v2.0'
 * ```
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationValidation
 * @see https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri
 */
export async function discover(
  issuer: URL,
  options: oauth.DiscoveryRequestOptions,
): Promise<oauth.AuthorizationServer> {
  const response = await oauth.discoveryRequest(issuer, options)
  if (!templateHooksAvailable()) return exactDiscovery(issuer, response)
  const as = await oauth.processDiscoveryResponse(hooks._nodiscoverycheck as URL, response)
  const comparison = compareIssuers(issuer, as.issuer)
  if (comparison === 'mismatch') throw new DiscoveryIssuerMismatchError(issuer.href, as.issuer)
  if (comparison === 'template') {
    const template = as.issuer
    // The expected `iss` of a token is the template with its own tenant. Anything else (the
    // template itself included) is answered with a value no issuer identifier can be, so that
    // oauth4webapi refuses the token.
    ;(as as unknown as Record<symbol, unknown>)[hooks._expectedIssuer as symbol] = (result: {
      claims: { iss?: unknown; tid?: unknown }
    }) => {
      const iss = result.claims.iss
      return typeof iss === 'string' && issuerMatchesTemplate(template, iss, result.claims)
        ? iss
        : NO_ISSUER
    }
  }
  return as
}

/** Without the hooks (another `oauth4webapi` build): the exact check, a mismatch still named. */
async function exactDiscovery(issuer: URL, response: Response): Promise<oauth.AuthorizationServer> {
  try {
    return await oauth.processDiscoveryResponse(issuer, response)
  } catch (error) {
    const body = (error as { cause?: { body?: { issuer?: unknown } } }).cause?.body
    if (
      error instanceof oauth.OperationProcessingError &&
      error.code === oauth.JSON_ATTRIBUTE_COMPARISON &&
      typeof body?.issuer === 'string'
    )
      throw new DiscoveryIssuerMismatchError(issuer.href, body.issuer)
    throw error
  }
}
