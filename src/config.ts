/**
 * Options of {@link createOidcSession}, validated once at construction.
 *
 * @module
 */
import type { SessionStore } from './stores/types.js'
import { invalidArg } from './errors.js'
import type { SessionEvents } from './session/events.js'
import type { RefreshLock } from './refresh/lock.js'
import type { ResultCache } from './refresh/result-cache.js'
import { isLoopbackHost } from './request/url.js'

/** How the client authenticates at the token, revocation and introspection endpoints. */
export type ClientAuthMethod =
  'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none'

/** The relying party's registration at the provider. */
export interface ClientConfig {
  /** `client_id`. */
  id: string
  /** `client_secret`, for `client_secret_basic` (the default when set) and `client_secret_post`. */
  secret?: string
  /** Defaults to `client_secret_basic` with a secret, `private_key_jwt` with a key, else `none`. */
  authMethod?: ClientAuthMethod
  /** Private key for `private_key_jwt` (a WebCrypto `CryptoKey`, with an optional `kid`). */
  privateKey?: CryptoKey | { key: CryptoKey; kid?: string }
  /** Expected `id_token_signed_response_alg` when the provider does not use RS256. */
  idTokenSignedResponseAlg?: string
}

/** Cookie naming and attributes shared by the session and transaction cookies. */
export interface CookieConfig {
  /** Base name; `__Host-` is prepended when the cookie is `Secure`, path `/` and has no domain. Default `oidc_session`. */
  name?: string
  /** Default: `true` unless the redirect URI is plain-HTTP loopback. */
  secure?: boolean
  /** Default `lax` (needed for the provider's top-level redirect back to the callback). */
  sameSite?: 'lax' | 'strict' | 'none'
  /** Default: host-only (no `Domain`). */
  domain?: string
  /** Default `/`. */
  path?: string
}

/** Options of {@link createOidcSession}. */
export interface OidcSessionConfig {
  /** Issuer identifier; metadata comes from `${issuer}/.well-known/openid-configuration` (cached). */
  issuer: string | URL
  client: ClientConfig
  /** Absolute callback URL registered at the provider. Its origin is the app's origin. */
  redirectUri: string | URL
  /** Where the provider sends the user after logout. Default: the app origin's `/`. */
  postLogoutRedirectUri?: string | URL
  /** Default `openid profile offline_access`. Must contain `openid`. */
  scope?: string
  /** Extra authorization request parameters (`prompt`, `acr_values`, `resource`, …). */
  authorizationParams?: Record<string, string>
  /**
   * Secrets, the first one current, the others previous ones still accepted (key rotation). At
   * least 32 characters each. They key the transaction cookie and the default cookie store.
   */
  secrets: string | readonly string[]
  /** Where sessions live. Default: `cookieStore({ secrets })`. */
  store?: SessionStore
  cookies?: CookieConfig
  session?: {
    /** Absolute session lifetime in seconds. Default 7 days. */
    absoluteDuration?: number
  }
  refresh?: {
    /** Refresh this many seconds before the access token expires. Default 60. */
    leewaySeconds?: number
    /** Cross-process lock (for example `redisLock(client)`). Default: in-process only. */
    lock?: RefreshLock
    /** Recent-result cache shared across processes (for example `redisResultCache(client)`). */
    resultCache?: ResultCache
  }
  http?: {
    /** Timeout of every provider call, in milliseconds. Default 10 000. */
    timeoutMs?: number
    /**
     * Allow plain-HTTP provider endpoints. Default: `true` only when the issuer is a loopback
     * address (`127.0.0.0/8`, `[::1]`, `localhost`), never otherwise. Setting it for a non-loopback
     * issuer is a deliberate, documented risk: tokens travel in clear text.
     */
    allowInsecureRequests?: boolean
    /** Replacement `fetch` (tests, proxies). */
    fetch?: typeof fetch
  }
  /** Path of the login route, used in `protect()` answers. Default `/login`. */
  loginPath?: string
  /** Seconds of clock skew tolerated when checking expiry. Default 30. */
  clockToleranceSeconds?: number
  /** Time source in milliseconds (tests). Default `Date.now`. */
  now?: () => number
  /** Lifecycle event hooks; payloads never contain tokens. */
  events?: SessionEvents
}

/** The validated, defaulted configuration used internally. */
export interface ResolvedConfig {
  issuer: URL
  client: Required<Pick<ClientConfig, 'id' | 'authMethod'>> & ClientConfig
  redirectUri: URL
  appOrigin: string
  postLogoutRedirectUri: URL
  scope: string
  authorizationParams: Record<string, string>
  secrets: readonly string[]
  cookies: Required<Omit<CookieConfig, 'domain'>> & {
    domain: string | undefined
    prefix: '' | '__Host-' | '__Secure-'
  }
  absoluteDuration: number
  leewaySeconds: number
  timeoutMs: number
  allowInsecureRequests: boolean
  fetch: typeof fetch | undefined
  loginPath: string
  clockToleranceSeconds: number
  now: () => number
  events: SessionEvents
  store: SessionStore | undefined
  lock: RefreshLock | undefined
  resultCache: ResultCache | undefined
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null

function toUrl(value: unknown, name: string): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw invalidArg(`"${name}" must be a string or URL`, 'ERR_INVALID_ARG_TYPE')
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalidArg(`"${name}" must be an absolute URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidArg(`"${name}" must be an http(s) URL`)
  }
  return url
}

function positive(value: unknown, name: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  ) {
    throw invalidArg(`"${name}" must be a ${allowZero ? 'non-negative' : 'positive'} finite number`)
  }
  return value
}

/**
 * Validate secrets: a non-empty list of strings of at least 32 characters.
 *
 * @throws TypeError `ERR_INVALID_ARG_VALUE` / `ERR_INVALID_ARG_TYPE`
 */
export function validateSecrets(value: unknown, name = 'secrets'): readonly string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) {
    throw invalidArg(
      `"${name}" must be a string or a non-empty array of strings`,
      'ERR_INVALID_ARG_TYPE',
    )
  }
  for (const secret of list) {
    if (typeof secret !== 'string')
      throw invalidArg(`"${name}" must contain strings only`, 'ERR_INVALID_ARG_TYPE')
    if (secret.length < 32)
      throw invalidArg(`every entry of "${name}" must be at least 32 characters long`)
  }
  return Object.freeze([...(list as string[])])
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * Validate and default the options of {@link createOidcSession}.
 *
 * @throws TypeError `ERR_INVALID_ARG_VALUE` / `ERR_INVALID_ARG_TYPE` naming the offending option.
 */
export function resolveConfig(input: OidcSessionConfig): ResolvedConfig {
  if (!isObject(input)) throw invalidArg('options must be an object', 'ERR_INVALID_ARG_TYPE')
  const issuer = toUrl(input.issuer, 'issuer')
  if (!isObject(input.client))
    throw invalidArg('"client" must be an object', 'ERR_INVALID_ARG_TYPE')
  const client = input.client
  if (typeof client.id !== 'string' || client.id === '')
    throw invalidArg('"client.id" must be a non-empty string')
  if (client.secret !== undefined && (typeof client.secret !== 'string' || client.secret === '')) {
    throw invalidArg('"client.secret" must be a non-empty string')
  }
  const authMethod: ClientAuthMethod =
    client.authMethod ??
    (client.secret !== undefined
      ? 'client_secret_basic'
      : client.privateKey !== undefined
        ? 'private_key_jwt'
        : 'none')
  switch (authMethod) {
    case 'client_secret_basic':
    case 'client_secret_post':
      if (client.secret === undefined)
        throw invalidArg(`"client.secret" is required for ${authMethod}`)
      break
    case 'private_key_jwt':
      if (client.privateKey === undefined)
        throw invalidArg('"client.privateKey" is required for private_key_jwt')
      break
    case 'none':
      break
    default:
      throw invalidArg(
        '"client.authMethod" must be client_secret_basic, client_secret_post, private_key_jwt or none',
      )
  }

  const redirectUri = toUrl(input.redirectUri, 'redirectUri')
  const appOrigin = redirectUri.origin
  const postLogoutRedirectUri =
    input.postLogoutRedirectUri === undefined
      ? new URL('/', appOrigin)
      : toUrl(input.postLogoutRedirectUri, 'postLogoutRedirectUri')

  const scope = input.scope ?? 'openid profile offline_access'
  if (typeof scope !== 'string' || !scope.split(' ').includes('openid')) {
    throw invalidArg('"scope" must be a space-separated string containing "openid"')
  }
  const authorizationParams = input.authorizationParams ?? {}
  if (!isObject(authorizationParams))
    throw invalidArg('"authorizationParams" must be an object', 'ERR_INVALID_ARG_TYPE')
  for (const [key, value] of Object.entries(authorizationParams)) {
    if (typeof value !== 'string')
      throw invalidArg(`"authorizationParams.${key}" must be a string`, 'ERR_INVALID_ARG_TYPE')
    if (
      [
        'state',
        'nonce',
        'code_challenge',
        'code_challenge_method',
        'redirect_uri',
        'client_id',
        'response_type',
      ].includes(key)
    ) {
      throw invalidArg(`"authorizationParams.${key}" is managed by oidc-session and cannot be set`)
    }
  }

  const secrets = validateSecrets(input.secrets)

  const cookies: CookieConfig = input.cookies ?? {}
  if (typeof cookies !== 'object' || cookies === null)
    throw invalidArg('"cookies" must be an object', 'ERR_INVALID_ARG_TYPE')
  const insecureLoopback = redirectUri.protocol === 'http:' && isLoopbackHost(redirectUri.hostname)
  if (redirectUri.protocol === 'http:' && !insecureLoopback && cookies.secure !== false) {
    throw invalidArg(
      '"redirectUri" is plain HTTP on a non-loopback host: use https, or set "cookies.secure: false" knowingly',
    )
  }
  const secure = cookies.secure ?? !insecureLoopback
  const name = cookies.name ?? 'oidc_session'
  if (typeof name !== 'string' || !COOKIE_NAME.test(name) || name.startsWith('__')) {
    throw invalidArg(
      '"cookies.name" must be a cookie token without a __Host-/__Secure- prefix (added automatically)',
    )
  }
  const sameSite = cookies.sameSite ?? 'lax'
  if (!['lax', 'strict', 'none'].includes(sameSite))
    throw invalidArg('"cookies.sameSite" must be lax, strict or none')
  if (sameSite === 'none' && !secure)
    throw invalidArg('"cookies.sameSite: none" requires secure cookies')
  const path = cookies.path ?? '/'
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw invalidArg('"cookies.path" must start with "/"')
  const domain = cookies.domain
  if (domain !== undefined && (typeof domain !== 'string' || domain === ''))
    throw invalidArg('"cookies.domain" must be a non-empty string')
  const prefix = !secure ? '' : domain === undefined && path === '/' ? '__Host-' : '__Secure-'

  const http: NonNullable<OidcSessionConfig['http']> = input.http ?? {}
  const allowInsecureRequests =
    http.allowInsecureRequests ?? (issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname))
  if (issuer.protocol === 'http:' && !allowInsecureRequests) {
    throw invalidArg(
      '"issuer" is plain HTTP: only loopback issuers are allowed by default (see "http.allowInsecureRequests")',
    )
  }
  if (http.fetch !== undefined && typeof http.fetch !== 'function')
    throw invalidArg('"http.fetch" must be a function', 'ERR_INVALID_ARG_TYPE')

  const loginPath = input.loginPath ?? '/login'
  if (typeof loginPath !== 'string' || !loginPath.startsWith('/') || loginPath.startsWith('//')) {
    throw invalidArg('"loginPath" must be an absolute path')
  }
  const now = input.now ?? Date.now
  if (typeof now !== 'function')
    throw invalidArg('"now" must be a function', 'ERR_INVALID_ARG_TYPE')

  return {
    issuer,
    client: { ...client, authMethod },
    redirectUri,
    appOrigin,
    postLogoutRedirectUri,
    scope,
    authorizationParams: { ...authorizationParams },
    secrets,
    cookies: { name, secure, sameSite, path, domain, prefix },
    absoluteDuration: positive(
      input.session?.absoluteDuration,
      'session.absoluteDuration',
      7 * 24 * 3600,
    ),
    leewaySeconds: positive(input.refresh?.leewaySeconds, 'refresh.leewaySeconds', 60, true),
    timeoutMs: positive(http.timeoutMs, 'http.timeoutMs', 10_000),
    allowInsecureRequests,
    fetch: http.fetch,
    loginPath,
    clockToleranceSeconds: positive(input.clockToleranceSeconds, 'clockToleranceSeconds', 30, true),
    now,
    events: input.events ?? {},
    store: input.store,
    lock: input.refresh?.lock,
    resultCache: input.refresh?.resultCache,
  }
}
