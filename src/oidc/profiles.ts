/**
 * Provider profiles: what real OpenID Providers do differently from the specifications, and the
 * small adjustments the relying party makes for each of them.
 *
 * A profile adjusts only: the scope and the extra authorization parameters of a login; the
 * end-session URL and its parameter names; the extra parameters of the refresh grant; the
 * refresh-token expiry signals of a token response; and whether a refresh may run in the
 * background. It changes no validation rule, except Microsoft Entra ID's `{tenantid}` issuer
 * template, which is matched against the id_token's `tid` claim.
 *
 * Everything here is pure: plain inputs (metadata as a plain object), no I/O, no Node types.
 *
 * @module
 */

/** The providers with a profile; `generic` follows the specifications. */
export type ProviderName =
  'generic' | 'google' | 'cognito' | 'entra' | 'auth0' | 'okta' | 'keycloak' | 'zitadel'

/** Every {@link ProviderName}, for validation and iteration. */
export const PROVIDER_NAMES: readonly ProviderName[] = Object.freeze([
  'generic',
  'google',
  'cognito',
  'entra',
  'auth0',
  'okta',
  'keycloak',
  'zitadel',
])

/** The members of the provider's discovery document that the profiles read. */
export interface ProviderMetadata {
  readonly issuer?: string
  readonly authorization_endpoint?: string
  readonly token_endpoint?: string
  readonly end_session_endpoint?: string
  readonly scopes_supported?: readonly string[]
  /** Auth0-only member, used to recognise an Auth0 tenant behind a custom domain. */
  readonly mfa_challenge_endpoint?: string
  /** Microsoft-only member (`microsoftonline.com`…), used to recognise Entra ID elsewhere. */
  readonly cloud_instance_name?: string
}

/** Input of {@link ProviderProfile.scope}. */
export interface ScopeInput {
  /** The configured scope (`openid profile offline_access` by default). */
  readonly scope: string
  /** `true` when the application set `scope` itself: it is then sent exactly as configured. */
  readonly explicit: boolean
  /** The discovered `scopes_supported`, when the provider publishes it. */
  readonly scopesSupported?: readonly string[] | undefined
}

/** Input of {@link ProviderProfile.authorizationParameters}. */
export interface AuthorizationInput {
  /** The scope this login requests (after {@link ProviderProfile.scope}). */
  readonly scope: string
  /** `true` when the application wants a refresh token (its configured scope asks `offline_access`). */
  readonly offline: boolean
  /** The `prompt` the application asked for, if any (merged, never dropped). */
  readonly prompt?: string | undefined
  /**
   * `true` when this login must make the provider issue a refresh token again although the user
   * consented before (Google issues one only at the first consent; see {@link providerProfile}).
   */
  readonly reconsent?: boolean | undefined
}

/**
 * What a provider logout URL is built from: the input of the `logout.endSession` hook and of the
 * provider profiles.
 */
export interface EndSessionInput {
  /** The discovered metadata. */
  readonly metadata: ProviderMetadata
  /** The configured issuer (for providers whose logout URL derives from it). */
  readonly issuer: string
  readonly clientId: string
  /** The freshest id_token known for the session, if any. */
  readonly idTokenHint?: string | undefined
  /** `true` when {@link idTokenHint} has expired and could not be refreshed. */
  readonly idTokenExpired?: boolean | undefined
  /** The claims of {@link idTokenHint} (or of the last id_token), when known. */
  readonly idTokenClaims?: Readonly<Record<string, unknown>> | undefined
  /** The session's `sub`, the spec's `logout_hint` fallback when no id_token is left. */
  readonly sub?: string | undefined
  /** Where the provider sends the user afterwards (already checked against the allow-list). */
  readonly postLogoutRedirectUri: string
  /** Opaque value echoed back to the post-logout redirect. */
  readonly state: string
}

/** Input of {@link ProviderProfile.refreshParameters}. */
export interface RefreshInput {
  /** The scope the login requested (what the authorization request carried). */
  readonly scope: string
}

/**
 * The per-provider adjustments. Obtain one with {@link providerProfile} (or
 * {@link resolveProviderProfile}); never build one by hand.
 */
export interface ProviderProfile {
  readonly name: ProviderName
  /**
   * The scope to request: the configured one when explicit, else the default adjusted to what
   * the provider accepts (`offline_access` dropped where it is refused or not advertised).
   *
   * @param input the configured scope and the discovered `scopes_supported`
   * @returns a space-separated scope containing `openid`
   */
  scope(input: ScopeInput): string
  /**
   * Extra authorization request parameters for one login (Google: `access_type=offline`).
   *
   * @param input the scope, whether a refresh token is wanted, the requested `prompt`
   * @returns parameters to set on the authorization URL (they override the configured ones)
   */
  authorizationParameters(input: AuthorizationInput): Record<string, string>
  /**
   * The provider's logout URL, or `undefined` for a local logout only (no end-session endpoint, or
   * no hint the provider would accept).
   *
   * @param input metadata, client, hints, post-logout URI and state
   * @returns the URL to redirect the browser to, or `undefined`
   */
  endSessionUrl(input: EndSessionInput): URL | undefined
  /**
   * Extra refresh-grant parameters (Entra: `scope`).
   *
   * @param input the scope the login requested
   * @returns parameters for `oauth4webapi`'s `additionalParameters`
   */
  refreshParameters(input: RefreshInput): Record<string, string>
  /**
   * When the refresh token of a token response dies, if the provider says: Keycloak's
   * `refresh_expires_in` (`0`: an offline token, no expiry) or `refresh_token_expires_in`
   * (Google time-based access, Microsoft, GitHub…). A negative value means already dead.
   *
   * @param response the token endpoint response (JSON members)
   * @param now seconds since the epoch
   * @returns seconds since the epoch, or `undefined` when the response says nothing
   */
  refreshTokenExpiresAt(
    response: Readonly<Record<string, unknown>>,
    now: number,
  ): number | undefined
  /**
   * Whether `refresh.background` may hand out the current access token while it is refreshed.
   * `false` where a refresh revokes the access token it replaces (Zitadel).
   */
  readonly backgroundRefresh: boolean
  /**
   * Whether the login that follows a session ended without a usable refresh token should ask the
   * provider for one again ({@link AuthorizationInput.reconsent}): `true` where a refresh token
   * comes only with a consent (Google). Profiles with `true` are detected from the issuer alone.
   */
  readonly reconsent: boolean
  /**
   * Entra's `{tenantid}` template: whether the issuer `iss` of a token is the template with the
   * token's own `tid`. Present only on profiles that know such templates.
   *
   * @param template the discovered issuer, containing `{tenantid}`
   * @param iss the `iss` claim presented
   * @param claims the token's claims (`tid`)
   */
  issuerMatches?(template: string, iss: string, claims?: { readonly tid?: unknown }): boolean
}

const OFFLINE_ACCESS = 'offline_access'
const TENANT_PLACEHOLDER = '{tenantid}'

const words = (scope: string): string[] => scope.split(' ').filter((word) => word !== '')
const without = (scope: string, drop: string): string =>
  words(scope)
    .filter((word) => word !== drop)
    .join(' ')

/** A number of seconds from a token response member (numbers, or digit strings). */
function seconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined
  if (typeof value === 'string' && /^-?\d{1,12}$/.test(value)) return Number(value)
  return undefined
}

function genericRefreshTokenExpiresAt(
  response: Readonly<Record<string, unknown>>,
  now: number,
): number | undefined {
  // RFC 6749 has no such member; these are the two in use. Negative: already dead (Keycloak
  // reports negative values once its client session is past its maximum).
  const standard = seconds(response.refresh_token_expires_in)
  if (standard !== undefined) return standard > 0 ? now + standard : now
  const keycloak = seconds(response.refresh_expires_in)
  if (keycloak === undefined || keycloak === 0) return undefined // 0: offline token, no expiry
  return keycloak > 0 ? now + keycloak : now
}

function mergePrompt(prompt: string | undefined, add: string): string {
  const list = words(prompt ?? '')
  if (list.includes('none')) return list.join(' ') // `none` cannot be combined; leave it alone
  if (!list.includes(add)) list.push(add)
  return list.join(' ')
}

/** The RP-Initiated Logout 1.0 URL, the spec's way (what the `generic` profile does). */
function standardEndSessionUrl(input: EndSessionInput): URL | undefined {
  const endpoint = input.metadata.end_session_endpoint
  if (!endpoint) return undefined
  const url = new URL(endpoint)
  url.searchParams.set('client_id', input.clientId)
  if (input.idTokenHint) url.searchParams.set('id_token_hint', input.idTokenHint)
  else if (input.sub) url.searchParams.set('logout_hint', input.sub)
  url.searchParams.set('post_logout_redirect_uri', input.postLogoutRedirectUri)
  url.searchParams.set('state', input.state)
  return url
}

function baseProfile(name: ProviderName): ProviderProfile {
  return {
    name,
    scope({ scope, explicit, scopesSupported }) {
      if (explicit) return scope
      if (
        Array.isArray(scopesSupported) &&
        words(scope).includes(OFFLINE_ACCESS) &&
        !scopesSupported.includes(OFFLINE_ACCESS)
      )
        return without(scope, OFFLINE_ACCESS)
      return scope
    },
    authorizationParameters: () => ({}),
    endSessionUrl: standardEndSessionUrl,
    refreshParameters: () => ({}),
    refreshTokenExpiresAt: genericRefreshTokenExpiresAt,
    backgroundRefresh: true,
    reconsent: false,
  }
}

/**
 * Google. `offline_access` is answered with `invalid_scope` (an error page: the login never comes
 * back); a refresh token comes with `access_type=offline`, and only at the user's first consent
 * unless `prompt=consent` asks for consent again. There is no end-session endpoint (logout is
 * local, plus the revocation the core does anyway), refresh tokens never rotate, and a refresh
 * response carries no new refresh token. `refresh_token_expires_in` is set for time-based access.
 *
 * `prompt=consent` is sent only when the caller says `reconsent` (an existing user logs in again
 * and the previous login brought no refresh token): asking for consent at every login would show
 * Google's consent screen every time.
 */
function google(): ProviderProfile {
  const base = baseProfile('google')
  return {
    ...base,
    scope: ({ scope, explicit }) => (explicit ? scope : without(scope, OFFLINE_ACCESS)),
    authorizationParameters({ offline, prompt, reconsent }) {
      if (!offline) return {}
      const parameters: Record<string, string> = { access_type: 'offline' }
      if (reconsent) parameters.prompt = mergePrompt(prompt, 'consent')
      return parameters
    },
    endSessionUrl: () => undefined,
    reconsent: true,
  }
}

/**
 * Amazon Cognito user pools. `offline_access` is not a Cognito scope (the code grant always
 * brings a refresh token); logout is the hosted UI's `/logout?client_id&logout_uri` on the
 * domain of the `authorization_endpoint` (the issuer host `cognito-idp.*` serves no logout), and
 * `post_logout_redirect_uri` is ignored there. `logout_uri` must be one of the app client's
 * allowed sign-out URLs.
 */
function cognito(): ProviderProfile {
  const base = baseProfile('cognito')
  return {
    ...base,
    scope: ({ scope, explicit }) => (explicit ? scope : without(scope, OFFLINE_ACCESS)),
    endSessionUrl(input) {
      const authorize = input.metadata.authorization_endpoint
      if (!authorize) return undefined
      const url = new URL(authorize)
      // `…/oauth2/authorize` → `…/logout`, keeping any path prefix (a rewritten test host).
      url.pathname = url.pathname.replace(/\/oauth2\/authorize\/?$/, '') + '/logout'
      url.search = ''
      url.searchParams.set('client_id', input.clientId)
      url.searchParams.set('logout_uri', input.postLogoutRedirectUri)
      return url
    },
  }
}

const TENANT_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9.-]*$/

/**
 * Microsoft Entra ID (v2.0 endpoints). Multi-tenant discovery (`/common`, `/organizations`)
 * publishes the issuer template `…/{tenantid}/v2.0`; each token names its tenant in `tid` and
 * carries `iss` with that tenant. Sign-out takes `post_logout_redirect_uri` and `logout_hint`, whose
 * value is the `login_hint` optional claim (not `sub`); without it Entra shows an account picker.
 * The refresh grant documents `scope` as required, so the login's scope is sent again. Old
 * refresh tokens stay valid after rotation.
 */
function entra(): ProviderProfile {
  const base = baseProfile('entra')
  return {
    ...base,
    endSessionUrl(input) {
      const endpoint = input.metadata.end_session_endpoint
      if (!endpoint) return undefined
      const url = new URL(endpoint)
      url.searchParams.set('post_logout_redirect_uri', input.postLogoutRedirectUri)
      const hint = input.idTokenClaims?.login_hint
      if (typeof hint === 'string' && hint !== '') url.searchParams.set('logout_hint', hint)
      return url
    },
    refreshParameters: ({ scope }) => ({ scope }),
    issuerMatches: issuerMatchesTemplate,
  }
}

/**
 * Whether the issuer `iss` of a token is the `{tenantid}` issuer template with the token's own
 * tenant (`tid`) in its place (Microsoft Entra ID multi-tenant applications). Without a
 * placeholder, the template must equal `iss`.
 *
 * @param template the discovered issuer, for example `https://login.microsoftonline.com/{tenantid}/v2.0`
 * @param iss the `iss` claim presented
 * @param claims the token's claims (`tid`: a tenant id, one path segment)
 * @returns `true` when `iss` is the template with `tid`
 * @example
 * ```ts
 * issuerMatchesTemplate('https://login.microsoftonline.com/{tenantid}/v2.0',
 *   'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0',
 *   { tid: '72f988bf-86f1-41af-91ab-2d7cd011db47' }) // true
 * ```
 * @see https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-the-issuer
 */
export function issuerMatchesTemplate(
  template: string,
  iss: string,
  claims?: { readonly tid?: unknown },
): boolean {
  if (!template.includes(TENANT_PLACEHOLDER)) return template === iss
  const tid = claims?.tid
  if (typeof tid !== 'string' || !TENANT_SEGMENT.test(tid)) return false
  return template.replace(TENANT_PLACEHOLDER, tid) === iss
}

/**
 * Auth0. The discovery document lists `end_session_endpoint` (`/oidc/logout`, RP-Initiated
 * Logout) only when the tenant setting "RP-Initiated Logout End Session Endpoint Discovery" is on
 * (the default for tenants created since 14 November 2023); otherwise logout is the legacy
 * `/v2/logout?client_id&returnTo`. Rotated refresh tokens reused outside the reuse interval trigger
 * breach detection (the whole family is revoked).
 */
function auth0(): ProviderProfile {
  const base = baseProfile('auth0')
  return {
    ...base,
    endSessionUrl(input) {
      if (input.metadata.end_session_endpoint) return standardEndSessionUrl(input)
      const issuer = input.metadata.issuer ?? input.issuer
      const url = new URL('v2/logout', issuer.endsWith('/') ? issuer : `${issuer}/`)
      url.searchParams.set('client_id', input.clientId)
      url.searchParams.set('returnTo', input.postLogoutRedirectUri)
      return url
    },
  }
}

/**
 * Okta (org and custom authorization servers). `/v1/logout` requires a valid `id_token_hint`;
 * without one Okta shows an error page instead of redirecting. When no unexpired id_token is left
 * (the core could not refresh it), logout is local only: the browser goes straight to the
 * post-logout URI, and the Okta session survives (the refresh token is still revoked).
 */
function okta(): ProviderProfile {
  const base = baseProfile('okta')
  return {
    ...base,
    endSessionUrl(input) {
      const endpoint = input.metadata.end_session_endpoint
      if (!endpoint || !input.idTokenHint || input.idTokenExpired) return undefined
      const url = new URL(endpoint)
      url.searchParams.set('id_token_hint', input.idTokenHint)
      url.searchParams.set('post_logout_redirect_uri', input.postLogoutRedirectUri)
      url.searchParams.set('state', input.state)
      return url
    },
  }
}

/**
 * Keycloak. Token responses carry `refresh_expires_in` (seconds until the refresh token dies,
 * `0` for an offline token); logout is standard RP-Initiated Logout. Logout tokens of Keycloak 24
 * and older are typed `JWT` (25 and later: `logout+jwt`), and Keycloak 25 and later leave `nonce`
 * out of refreshed id_tokens — both are handled by the core's generic rules, not here.
 */
function keycloak(): ProviderProfile {
  return baseProfile('keycloak')
}

/**
 * Zitadel. A refresh rotates the refresh token and revokes the access token it replaces, so
 * handing out the current access token while refreshing in the background would hand out a dead
 * token: `backgroundRefresh` is `false`.
 */
function zitadel(): ProviderProfile {
  return { ...baseProfile('zitadel'), backgroundRefresh: false }
}

const FACTORIES: Record<ProviderName, () => ProviderProfile> = {
  generic: () => baseProfile('generic'),
  google,
  cognito,
  entra,
  auth0,
  okta,
  keycloak,
  zitadel,
}

/**
 * `true` when `value` is a {@link ProviderName}.
 *
 * @param value anything (an option, an environment variable)
 * @returns whether it names a profile
 * @example
 * ```ts
 * isProviderName(process.env.OIDC_PROVIDER) // true for 'cognito'
 * ```
 */
export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value)
}

/**
 * The profile of a provider.
 *
 * @param name the provider
 * @returns its frozen {@link ProviderProfile}
 * @throws TypeError `ERR_INVALID_ARG_VALUE` for an unknown name
 * @example
 * ```ts
 * const profile = providerProfile('google')
 * profile.scope({ scope: 'openid profile offline_access', explicit: false }) // 'openid profile'
 * ```
 * @see https://developers.google.com/identity/protocols/oauth2/web-server#offline
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html
 * @see https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#send-a-sign-out-request
 * @see https://auth0.com/docs/authenticate/login/logout/log-users-out-of-auth0
 * @see https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/tag/CustomAS/#tag/CustomAS/operation/logoutCustomAS
 * @see https://www.keycloak.org/docs/latest/upgrading/index.html (25.0.0: nonce, logout token type)
 * @see https://zitadel.com/docs/apis/openidoauth/endpoints#refresh-token-grant
 */
export function providerProfile(name: ProviderName): ProviderProfile {
  const factory = FACTORIES[name as ProviderName] as (() => ProviderProfile) | undefined
  if (typeof factory !== 'function') {
    const error = new TypeError(
      `unknown provider "${String(name)}" (one of ${PROVIDER_NAMES.join(', ')})`,
    ) as TypeError & { code: string }
    error.code = 'ERR_INVALID_ARG_VALUE'
    throw error
  }
  return Object.freeze(factory())
}

function hostOf(url: string | URL | undefined): string | undefined {
  if (url === undefined) return undefined
  try {
    return new URL(url).hostname.toLowerCase()
  } catch {
    return undefined
  }
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return ''
  try {
    return new URL(url).pathname
  } catch {
    return ''
  }
}

const ENTRA_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.partner.microsoftonline.cn',
  'login.chinacloudapi.cn',
])

/**
 * Choose a provider profile from the issuer and, when known, its discovery document.
 *
 * The issuer host decides first (`accounts.google.com`; `cognito-idp.<region>.amazonaws.com`;
 * `login.microsoftonline.com` and the national clouds; `*.auth0.com`; `*.okta.com`,
 * `*.oktapreview.com`, `*.okta-emea.com`; `*.zitadel.cloud`). Then the metadata, for custom
 * domains and self-hosted servers: an issuer containing `{tenantid}`, or Microsoft's
 * `cloud_instance_name` member, is Entra; a token endpoint
 * at `…/protocol/openid-connect/token` is Keycloak; `mfa_challenge_endpoint` is Auth0; Okta's
 * `/oauth2[/<server>]/v1/token` with `/v1/logout`; Zitadel's `/oauth/v2/token` with
 * `/oidc/v1/end_session`. Anything else is `generic`. An explicit `provider` option always wins
 * (see {@link resolveProviderProfile}).
 *
 * @param issuer the configured issuer
 * @param metadata the discovery document, when already fetched
 * @returns the detected {@link ProviderName}
 * @example
 * ```ts
 * detectProvider(new URL('https://accounts.google.com')) // 'google'
 * ```
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 */
export function detectProvider(issuer: string | URL, metadata?: ProviderMetadata): ProviderName {
  const host = hostOf(issuer)
  if (host !== undefined) {
    if (host === 'accounts.google.com') return 'google'
    if (/^cognito-idp\.[a-z0-9-]+\.amazonaws\.com$/.test(host)) return 'cognito'
    if (ENTRA_HOSTS.has(host) || host.endsWith('.ciamlogin.com')) return 'entra'
    if (host.endsWith('.auth0.com')) return 'auth0'
    if (/\.(okta|oktapreview|okta-emea)\.com$/.test(host)) return 'okta'
    if (host.endsWith('.zitadel.cloud')) return 'zitadel'
  }
  if (!metadata) return 'generic'
  if (
    (typeof metadata.issuer === 'string' && metadata.issuer.includes(TENANT_PLACEHOLDER)) ||
    typeof metadata.cloud_instance_name === 'string'
  )
    return 'entra'
  const token = pathOf(metadata.token_endpoint)
  const endSession = pathOf(metadata.end_session_endpoint)
  if (token.endsWith('/protocol/openid-connect/token')) return 'keycloak'
  if (typeof metadata.mfa_challenge_endpoint === 'string') return 'auth0'
  if (
    /\/oauth2\/(?:[^/]+\/)?v1\/token$/.test(token) &&
    /\/oauth2\/(?:[^/]+\/)?v1\/logout$/.test(endSession)
  )
    return 'okta'
  if (token.endsWith('/oauth/v2/token') && endSession.endsWith('/oidc/v1/end_session'))
    return 'zitadel'
  return 'generic'
}

/**
 * The profile to use: the explicit `provider` option when set, else {@link detectProvider}.
 *
 * @param explicit the `provider` option (`undefined`: detect)
 * @param issuer the configured issuer
 * @param metadata the discovery document, when already fetched
 * @returns the {@link ProviderProfile}
 * @throws TypeError `ERR_INVALID_ARG_VALUE` when `explicit` names no profile
 * @example
 * ```ts
 * resolveProviderProfile('cognito', 'https://auth.example.com') // a custom Cognito domain
 * ```
 */
export function resolveProviderProfile(
  explicit: ProviderName | undefined,
  issuer: string | URL,
  metadata?: ProviderMetadata,
): ProviderProfile {
  return providerProfile(explicit ?? detectProvider(issuer, metadata))
}

/** How a discovered issuer relates to the configured one (see {@link compareIssuers}). */
export type IssuerComparison =
  /** Identical (as URLs). */
  | 'match'
  /**
   * The discovered issuer is a `{tenantid}` template and the configured one is that template with
   * one path segment in its place (`common`, `organizations`, `consumers`, a tenant id or domain):
   * tokens must then carry `iss` = the template with their own `tid`.
   */
  | 'template'
  /** Anything else: a configuration error (a typo, the wrong tenant), never a transient outage. */
  | 'mismatch'

/**
 * Compare the issuer a discovery document declares with the configured issuer.
 *
 * OpenID Connect Discovery §4.3 requires them to be identical; Entra's multi-tenant documents
 * declare the template `https://login.microsoftonline.com/{tenantid}/v2.0` for the configured
 * `…/common/v2.0` or `…/organizations/v2.0`, which is accepted as `'template'`. A `'mismatch'` must
 * be reported as a configuration error naming both issuers, not as an outage.
 *
 * @param configured the configured issuer
 * @param discovered the `issuer` member of the discovery document
 * @returns `'match'`, `'template'` or `'mismatch'`
 * @example
 * ```ts
 * compareIssuers('https://login.microsoftonline.com/common/v2.0',
 *   'https://login.microsoftonline.com/{tenantid}/v2.0') // 'template'
 * ```
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationValidation
 * @see https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri
 */
export function compareIssuers(configured: string | URL, discovered: string): IssuerComparison {
  let expected: string
  try {
    expected = new URL(configured).href
  } catch {
    return 'mismatch'
  }
  if (typeof discovered !== 'string') return 'mismatch'
  try {
    if (new URL(discovered).href === expected) return 'match'
  } catch {
    return 'mismatch'
  }
  const at = discovered.indexOf(TENANT_PLACEHOLDER)
  if (at < 0 || discovered.indexOf(TENANT_PLACEHOLDER, at + 1) >= 0) return 'mismatch'
  const prefix = discovered.slice(0, at)
  const suffix = discovered.slice(at + TENANT_PLACEHOLDER.length)
  const raw = new URL(configured).href
  const candidates = [raw, raw.endsWith('/') ? raw.slice(0, -1) : `${raw}/`]
  for (const candidate of candidates) {
    if (!candidate.startsWith(prefix) || !candidate.endsWith(suffix)) continue
    const segment = candidate.slice(prefix.length, candidate.length - suffix.length)
    if (TENANT_SEGMENT.test(segment)) return 'template'
  }
  return 'mismatch'
}
