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
import type { RevocationList } from './logout/revocation-list.js'
import type { ReplayCache } from './logout/replay-cache.js'

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
    /**
     * How long the result of a refresh stays reusable by requests that still carry the consumed
     * refresh token (a pre-refresh cookie), in seconds. Default 60.
     */
    resultTtlSeconds?: number
    /** Lease of the cross-process `lock`, in milliseconds (renewed while held). Default 5 000. */
    lockLeaseMs?: number
    /** Longest wait for another process's refresh, in ms. Default `http.timeoutMs + 2 000`. */
    lockWaitMs?: number
    /**
     * Back-off after a transient refresh failure, in milliseconds: no provider call for the grant
     * during `initialMs`, doubling per consecutive failure up to `maxMs`. Default 500 / 30 000.
     */
    backoff?: { initialMs?: number; maxMs?: number }
    /**
     * With a stateful store, refresh a `due` session in the background and answer the request at
     * once with the still-valid access token. Ignored for cookie sessions (the new cookie must
     * travel with the response). Default false.
     */
    background?: boolean
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
  /** Logout, revocation and back-channel logout (see {@link LogoutConfig}). */
  logout?: LogoutConfig
}

/** Options of logout and back-channel logout. */
export interface LogoutConfig {
  /**
   * When the freshest id_token known at logout has expired and a refresh token exists, refresh
   * first so that `id_token_hint` is valid (providers such as Spring Authorization Server refuse
   * expired hints). Default `true`.
   */
  refreshExpiredIdToken?: boolean
  /** Revoke the session's refresh token at logout (RFC 7009), best effort. Default `true`. */
  revokeRefreshToken?: boolean
  /** Longest wait for the revocation endpoint, milliseconds. Default `min(2 000, http.timeoutMs)`. */
  revocationTimeoutMs?: number
  /**
   * Absolute URLs a single logout may ask for as `post_logout_redirect_uri` (option or query
   * parameter), besides the configured `postLogoutRedirectUri`. Exact matches only: never an open
   * redirect. Each must also be registered at the provider.
   */
  postLogoutRedirectUris?: readonly (string | URL)[]
  /**
   * Where back-channel logouts of cookie sessions are recorded, checked at every load. Default: an
   * in-process `memoryRevocationList()`; use `redisRevocationList` with several processes.
   */
  revocationList?: RevocationList
  /** Where the `jti` of accepted logout tokens are remembered. Default `memoryReplayCache()`. */
  replayCache?: ReplayCache
  /** Oldest logout token accepted (`iat`), seconds. Default 600. */
  logoutTokenMaxAgeSeconds?: number
  /**
   * Revoke the refresh tokens of the sessions a back-channel logout deletes (stateful stores that
   * can find sessions only). Default `false` (the provider has ended the grant already, usually).
   */
  backchannelRevokeRefreshTokens?: boolean
}

/** {@link LogoutConfig} validated and defaulted (the stores stay optional: defaults are per manager). */
export interface ResolvedLogoutConfig {
  refreshExpiredIdToken: boolean
  revokeRefreshToken: boolean
  revocationTimeoutMs: number
  postLogoutRedirectUris: readonly string[]
  revocationList: RevocationList | undefined
  replayCache: ReplayCache | undefined
  logoutTokenMaxAgeSeconds: number
  backchannelRevokeRefreshTokens: boolean
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
  logout: ResolvedLogoutConfig
  resultTtlSeconds: number
  /** `undefined`: the lock's own lease (`RefreshLock.leaseMs`), else 5 000 ms. */
  lockLeaseMs: number | undefined
  lockWaitMs: number | undefined
  backoffInitialMs: number
  backoffMaxMs: number
  refreshInBackground: boolean
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
        'scope',
        'response_mode',
        'request',
        'request_uri',
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
    logout: resolveLogout(input.logout, http.timeoutMs),
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
    resultTtlSeconds: positive(
      input.refresh?.resultTtlSeconds,
      'refresh.resultTtlSeconds',
      60,
      true,
    ),
    lockLeaseMs:
      input.refresh?.lockLeaseMs === undefined
        ? undefined
        : positive(input.refresh.lockLeaseMs, 'refresh.lockLeaseMs', 5_000),
    lockWaitMs:
      input.refresh?.lockWaitMs === undefined
        ? undefined
        : positive(input.refresh.lockWaitMs, 'refresh.lockWaitMs', 0),
    backoffInitialMs: positive(
      input.refresh?.backoff?.initialMs,
      'refresh.backoff.initialMs',
      500,
      true,
    ),
    backoffMaxMs: positive(input.refresh?.backoff?.maxMs, 'refresh.backoff.maxMs', 30_000, true),
    refreshInBackground: input.refresh?.background === true,
  }
}

function resolveLogout(input: LogoutConfig | undefined, timeoutMs: unknown): ResolvedLogoutConfig {
  const logout: LogoutConfig = input ?? {}
  if (!isObject(input ?? {})) throw invalidArg('"logout" must be an object', 'ERR_INVALID_ARG_TYPE')
  const flag = (value: unknown, name: string, fallback: boolean) => {
    if (value === undefined) return fallback
    if (typeof value !== 'boolean')
      throw invalidArg(`"logout.${name}" must be a boolean`, 'ERR_INVALID_ARG_TYPE')
    return value
  }
  const uris = logout.postLogoutRedirectUris ?? []
  if (!Array.isArray(uris))
    throw invalidArg('"logout.postLogoutRedirectUris" must be an array', 'ERR_INVALID_ARG_TYPE')
  const hasMethods = (value: unknown, methods: string[]) =>
    isObject(value) && methods.every((m) => typeof value[m] === 'function')
  if (
    logout.revocationList !== undefined &&
    !hasMethods(logout.revocationList, ['add', 'notBefore'])
  )
    throw invalidArg('"logout.revocationList" must be a RevocationList', 'ERR_INVALID_ARG_TYPE')
  if (logout.replayCache !== undefined && !hasMethods(logout.replayCache, ['claim']))
    throw invalidArg('"logout.replayCache" must be a ReplayCache', 'ERR_INVALID_ARG_TYPE')
  const httpTimeout = typeof timeoutMs === 'number' && timeoutMs > 0 ? timeoutMs : 10_000
  return {
    refreshExpiredIdToken: flag(logout.refreshExpiredIdToken, 'refreshExpiredIdToken', true),
    revokeRefreshToken: flag(logout.revokeRefreshToken, 'revokeRefreshToken', true),
    revocationTimeoutMs: positive(
      logout.revocationTimeoutMs,
      'logout.revocationTimeoutMs',
      Math.min(2_000, httpTimeout),
    ),
    postLogoutRedirectUris: uris.map(
      (uri: unknown, i: number) => toUrl(uri, `logout.postLogoutRedirectUris[${i}]`).href,
    ),
    revocationList: logout.revocationList,
    replayCache: logout.replayCache,
    logoutTokenMaxAgeSeconds: positive(
      logout.logoutTokenMaxAgeSeconds,
      'logout.logoutTokenMaxAgeSeconds',
      600,
    ),
    backchannelRevokeRefreshTokens: flag(
      logout.backchannelRevokeRefreshTokens,
      'backchannelRevokeRefreshTokens',
      false,
    ),
  }
}
