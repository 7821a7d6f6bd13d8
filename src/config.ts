/**
 * Options of {@link createOidcSession}, validated once at construction and resolved, section by
 * section, into the options of the module that consumes each section (the provider layer, the
 * refresh scheduler, logout, the responses, the cookies).
 *
 * @module
 */
import { invalidArg } from './errors.js'
import { validateSecrets } from './lib/secrets.js'
import type { ReplayCache } from './logout/replay-cache.js'
import type { RevocationList } from './logout/revocation-list.js'
import type { EndSessionHook } from './oidc/end-session.js'
import { PROVIDER_NAMES, isProviderName, type ProviderName } from './oidc/profiles.js'
import type { ProviderClient, ProviderOptions } from './oidc/provider.js'
import type { RefreshLock } from './refresh/lock.js'
import type { ResultCache } from './refresh/result-cache.js'
import type { CookieAttributes } from './request/cookie-jar.js'
import type { ClassifyOptions } from './request/is-ajax.js'
import { createRequestOrigin, type ResolvedTrustProxy } from './request/origin.js'
import type { RequestLike } from './request/headers.js'
import { isLoopbackHost } from './request/url.js'
import type { SessionEvents } from './session/events.js'
import type { SessionHooks } from './session/hooks.js'
import type { OidcSessionEvent } from './session/observe.js'
import type { SessionData } from './session/session.js'
import type { SessionStore } from './stores/types.js'

/** How the client authenticates at the token, revocation and introspection endpoints. */
export type ClientAuthMethod =
  'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none'

/**
 * A WebCrypto `CryptoKey`, declared by its shape: a Node project compiled without the DOM library
 * (`lib: ["es2022"]`, `types: ["node"]`) has no global `CryptoKey` type, and the declarations must
 * type-check there too. Every `CryptoKey` is one — from `crypto.subtle`, Node's `webcrypto`, `jose`.
 */
export interface WebCryptoKey {
  readonly type: string
  readonly algorithm: { readonly name: string }
  readonly extractable: boolean
  readonly usages: readonly string[]
}

/** The relying party's registration at the provider. */
export interface ClientConfig {
  /** `client_id`. */
  id: string
  /** `client_secret`, for `client_secret_basic` (the default when set) and `client_secret_post`. */
  secret?: string
  /** Defaults to `client_secret_basic` with a secret, `private_key_jwt` with a key, else `none`. */
  authMethod?: ClientAuthMethod
  /** Private key for `private_key_jwt` (a WebCrypto `CryptoKey`, with an optional `kid`). */
  privateKey?: WebCryptoKey | { key: WebCryptoKey; kid?: string }
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

/** Paths of the routes `handler()` serves. */
export interface RoutesConfig {
  /** `GET`: starts a login. Default `/login`. */
  login?: string
  /** `GET` (and `POST` for `form_post`): completes it. Always the redirect URI's path. */
  callback?: string
  /** `GET` and `POST`: logs out. Default `/logout`. */
  logout?: string
  /** `POST`: receives OpenID Connect back-channel logouts. Default `/backchannel-logout`. */
  backchannelLogout?: string
}

/** The resolved route paths (see {@link RoutesConfig}). */
export interface Routes {
  readonly login: string
  readonly callback: string
  readonly logout: string
  readonly backchannelLogout: string
}

/**
 * Access tokens per API (RFC 8707 resource indicators, or the `audience` parameter that several
 * providers use instead). One refresh token serves every resource; each resource's token is cached
 * in the session with its own expiry and refreshed single-flight, like the session's own token.
 */
export interface ResourcesConfig {
  /**
   * Resources every login asks for: each is sent as a `resource` (or `audience`) parameter of the
   * authorization request, so that the user's grant covers them and `accessToken(request, {
   * resource })` can later obtain a token for any of them with the refresh token (RFC 8707 §2.1).
   */
  indicators?: readonly string[]
  /**
   * The resource of the session's own access token (the one `accessToken(request)`, `forward()`
   * and `userinfo()` use): sent on the authorization request, the code grant and every refresh of
   * that token. Default: none — the provider's default audience, which is what its UserInfo
   * endpoint accepts; a token for an API may not be.
   */
  default?: string
  /**
   * Name of the parameter: `resource` (RFC 8707, the default; values must be absolute URIs
   * without a fragment) or `audience` (Auth0 and others; any non-empty string).
   */
  parameter?: 'resource' | 'audience'
  /** Most per-resource tokens one session keeps (expired ones, then the oldest, are dropped). Default 4. */
  maxPerSession?: number
}

/** Where the library writes what an operator should see (a misconfiguration). */
export interface Logger {
  /** One operator-facing warning; never contains a token, cookie value or secret. */
  warn(message: string): void
}

/**
 * How long sessions live (seconds). Enforced by the session manager for every store: a session
 * past either lifetime ends (reasons `absolute-timeout`, `idle-timeout`, with a `sessionEnded`
 * event), and its cookies are deleted.
 */
export interface SessionLifetimeConfig {
  /** Absolute lifetime from login, seconds. Default 7 days. */
  absolute?: number
  /** @deprecated The former name of {@link absolute}. */
  absoluteDuration?: number
  /**
   * Idle (rolling) lifetime: a session without any request for this long ends. Default: none.
   * Enforced from the session's `lastSeenAt`, so it works with the cookie store too.
   */
  idle?: number
  /**
   * With `idle`: record activity (re-write the cookie, or the stateful store's entry) at most once
   * per this many seconds, so a rolling session is not rewritten on every request. The idle
   * lifetime is then honoured to within this much. Default: a tenth of `idle`, at most 300.
   * Must be less than `idle`.
   */
  touchAfter?: number
  /**
   * Keep the browser's `User-Agent` (its first 256 characters) in the session, for session
   * listing (`auth.sessions()`). Default `false` (it costs cookie bytes).
   */
  userAgent?: boolean
}

/** Options of {@link createOidcSession}. */
export interface OidcSessionConfig<TData extends SessionData = SessionData> {
  /** Issuer identifier; metadata comes from `${issuer}/.well-known/openid-configuration` (cached). */
  issuer: string | URL
  client: ClientConfig
  /** Absolute callback URL registered at the provider. Its origin is the app's origin. */
  redirectUri: string | URL
  /**
   * The application's origin, from which every absolute URL the library answers with is built
   * (`Location` headers, `returnTo`, the same-origin checks of logout). Default: the redirect
   * URI's origin. Never taken from the request's `Host` header.
   */
  baseUrl?: string | URL
  /**
   * Take the request's origin from a reverse proxy's headers: RFC 7239 `Forwarded` (its last
   * element), else `X-Forwarded-Proto` + `X-Forwarded-Host` (their last values), the host falling
   * back to `Host`. That origin then replaces the configured one for the request — redirects,
   * `returnTo`, the same-origin checks of logout, and the redirect URI and post-logout URI when
   * they are on the configured origin (their paths are kept; register each origin's URIs at the
   * provider). The cookies' `Secure` attribute and name never depend on a request.
   *
   * - `false` (default): forwarded headers and `Host` are ignored.
   * - an array of origins: a forwarded origin is used only when it is one of these (or the
   *   configured one); any other request is answered from the configured origin.
   * - `true`: any forwarded origin is used.
   *
   * With `Secure` cookies (the default off loopback), a forwarded `http:` origin is never used.
   * Set it only behind a proxy that sets these headers itself: clients can send them too.
   */
  trustProxy?: boolean | readonly (string | URL)[]
  /** Where the provider sends the user after logout. Default: the app origin's `/`. Register it at the provider. */
  postLogoutRedirectUri?: string | URL
  /**
   * Default `openid profile offline_access`, adjusted to the provider: `offline_access` is left out
   * where the provider refuses it or does not list it in `scopes_supported` (Google, Cognito). An
   * explicit `scope` is sent exactly as given. Must contain `openid`.
   */
  scope?: string
  /**
   * The provider's profile: the small adjustments a real provider needs (login parameters, logout
   * URL, refresh parameters, refresh-token expiry, background refresh) — see `docs/providers.md`.
   * Default: detected from the issuer host (`accounts.google.com`, `cognito-idp.*.amazonaws.com`,
   * `login.microsoftonline.com`, `*.auth0.com`, `*.okta.com`, `*.zitadel.cloud`) or the discovery
   * document (Keycloak, and custom domains of Auth0, Okta, Zitadel, Entra), else `generic` (the
   * specifications). Set it for a custom domain the detection cannot recognise (Cognito, Google
   * Workspace proxies) or to force `generic`.
   */
  provider?: ProviderName
  /** Extra authorization request parameters sent on every login (`prompt`, `acr_values`, `resource`, …). */
  authorizationParams?: Record<string, string>
  /**
   * Secrets, the first one current, the others previous ones still accepted (key rotation). At
   * least 32 characters each. They key the transaction cookie and the default cookie store.
   */
  secrets: string | readonly string[]
  /** Where sessions live. Default: `cookieStore({ secrets })`. */
  store?: SessionStore
  cookies?: CookieConfig
  /** Paths of the routes `handler()` serves (see {@link RoutesConfig}). */
  routes?: RoutesConfig
  /** Session lifetimes (see {@link SessionLifetimeConfig}). */
  session?: SessionLifetimeConfig
  /** Hooks that shape sessions: application data, refusing a login (see {@link SessionHooks}). */
  hooks?: SessionHooks<TData>
  /**
   * One observer for everything that happens, with a stable, token-free schema (see
   * {@link OidcSessionEvent}): logins, refreshes and their failures, ended sessions, logouts,
   * back-channel logouts, cookie writes. What it throws is swallowed. The OpenTelemetry adapter
   * (`oidc-session/otel`) is one.
   */
  onEvent?: (event: OidcSessionEvent) => void
  /** Silent logins (`prompt=none`). */
  silentLogin?: {
    /**
     * After a silent login came back without a session (`login_required`…), seconds during which
     * `login({ prompt: 'none' })` returns straight to `returnTo` instead of trying again (a
     * cookie remembers it). Default 300; `0` never remembers.
     */
    retryAfterSeconds?: number
  }
  refresh?: {
    /**
     * Refresh this many seconds before the access token expires (plus `clockToleranceSeconds`),
     * but never earlier than half-way through the token's lifetime. Default 60.
     */
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
  /** Seconds of clock skew tolerated when checking expiry. Default 30. */
  clockToleranceSeconds?: number
  /** Time source in milliseconds (tests). Default `Date.now`. */
  now?: () => number
  /** Lifecycle event hooks; payloads never contain tokens. */
  events?: SessionEvents
  /** Logout, revocation and back-channel logout (see {@link LogoutConfig}). */
  logout?: LogoutConfig
  /** How `protect()` and the error answers tell API calls from navigations. */
  classify?: ClassifyOptions
  /** Where configuration warnings go. Default `console`. */
  logger?: Logger
  /**
   * Sender-constrained tokens (RFC 9449, DPoP): each session gets its own ES256 key pair, created
   * at login and kept in the session with the private key sealed under a key derived from
   * `secrets`; proofs go on the token endpoint, UserInfo and `forward()`ed calls. A provider that
   * answers `token_type: Bearer` anyway gets Bearer tokens and no key is kept. Default false.
   */
  dpop?: boolean
  /**
   * Pushed authorization requests (RFC 9126): `true` pushes every login's parameters to the
   * provider first. Whatever this says, PAR is used when the provider's metadata says
   * `require_pushed_authorization_requests` (never downgraded). Default false.
   */
  pushedAuthorizationRequests?: boolean
  /** Tokens per API (see {@link ResourcesConfig}). */
  resources?: ResourcesConfig
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
   * Where ended sessions are recorded, checked at every load: sessions ended by logout (by session
   * id) and by back-channel logout (by `sid` or `sub`). Cookie sessions cannot be deleted, so this
   * list is what ends them. Default: an in-process `memoryRevocationList()`, which other processes
   * do not see: use `redisRevocationList` with several processes.
   */
  revocationList?: RevocationList
  /**
   * Build the provider logout URL yourself, for a provider no profile covers (or to override one).
   * Called at every logout with what the session knows (`EndSessionInput`: the metadata, the
   * freshest id_token and its claims, `sub`, the post-logout URI and `state`); answer a URL (or an
   * absolute URL string) to redirect the browser to, `false` for a local logout only (straight to
   * the post-logout URI), or `undefined` to let the provider profile decide. May be async. A hook
   * that throws or answers something else ends in a local logout, with a warning to `logger`.
   */
  endSession?: EndSessionHook
  /** Where the `jti` of accepted logout tokens are remembered. Default `memoryReplayCache()`. */
  replayCache?: ReplayCache
  /** Oldest logout token accepted (`iat`), seconds. Default 600. */
  logoutTokenMaxAgeSeconds?: number
  /**
   * Revoke the refresh tokens of the sessions a back-channel logout deletes (stateful stores that
   * can find sessions only). Default `false` (the provider has ended the grant already, usually).
   */
  backchannelRevokeRefreshTokens?: boolean
  /**
   * Whether to accept back-channel logouts this deployment may not be able to make visible to
   * every instance. `'auto'` (default): refuse them — `400` `backchannel_logout_unavailable`, never
   * a `200` that would be a lie (Back-Channel Logout 1.0 §2.8) — on runtimes made of isolates
   * (the Edge runtime, Cloudflare Workers) when neither the revocation list nor the session store
   * is shared; accept them everywhere else. `'accept'`: always (a list shared over HTTP, say).
   * `'refuse'`: never.
   */
  backchannel?: 'auto' | 'accept' | 'refuse'
}

/** {@link LogoutConfig} validated and defaulted (the stores stay optional: defaults are per manager). */
export interface ResolvedLogoutConfig {
  refreshExpiredIdToken: boolean
  revokeRefreshToken: boolean
  revocationTimeoutMs: number
  postLogoutRedirectUri: URL
  postLogoutRedirectUris: readonly string[]
  revocationList: RevocationList | undefined
  replayCache: ReplayCache | undefined
  logoutTokenMaxAgeSeconds: number
  backchannelRevokeRefreshTokens: boolean
  endSession: EndSessionHook | undefined
  backchannel: 'auto' | 'accept' | 'refuse'
}

/** The refresh section, resolved (see `OidcSessionConfig.refresh`). */
export interface ResolvedRefreshConfig {
  lock: RefreshLock | undefined
  resultCache: ResultCache | undefined
  resultTtlSeconds: number
  /** `undefined`: the lock's own lease (`RefreshLock.leaseMs`), else 5 000 ms. */
  lockLeaseMs: number | undefined
  lockWaitMs: number | undefined
  backoffInitialMs: number
  backoffMaxMs: number
  background: boolean
}

/** The validated, defaulted configuration, one section per consuming module. Internal. */
export interface ResolvedConfig {
  /** The app's origin (`https://app.example.com`). */
  origin: string
  /** The origin a request is answered from: {@link origin}, or a trusted forwarded one (`trustProxy`). */
  requestOrigin: (request: RequestLike) => string
  routes: Routes
  /** The provider layer's options (`createProviderContext`). */
  provider: ProviderOptions
  secrets: readonly string[]
  store: SessionStore | undefined
  /** The session cookie: full name (prefix included) and attributes (without `maxAge`). */
  cookie: { name: string; attributes: CookieAttributes }
  /** The login transaction cookies: name prefix and attributes. */
  transactionCookie: { prefix: string; attributes: CookieAttributes }
  /** Absolute session lifetime, seconds. */
  absoluteDuration: number
  /** Idle lifetime and touch interval, seconds (`idle` undefined: none). */
  lifetimes: { absolute: number; idle: number | undefined; touchAfter: number }
  /** Keep the `User-Agent` in new sessions. */
  storeUserAgent: boolean
  hooks: SessionHooks
  onEvent: ((event: OidcSessionEvent) => void) | undefined
  /** `silentLogin.retryAfterSeconds`. */
  silentLoginSeconds: number
  /** When tokens are due and expired (`tokenState`). */
  lifecycle: { leewaySeconds: number; clockToleranceSeconds: number }
  refresh: ResolvedRefreshConfig
  logout: ResolvedLogoutConfig
  /** Per-resource tokens (the protocol side is in `provider.resources`). */
  resourceTokens: { maxPerSession: number; parameter: 'resource' | 'audience' }
  /** DPoP key pairs per session (RFC 9449). */
  dpop: boolean
  classify: ClassifyOptions
  events: SessionEvents
  logger: Logger
  now: () => number
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

function flag(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean')
    throw invalidArg(`"${name}" must be a boolean`, 'ERR_INVALID_ARG_TYPE')
  return value
}

function oneOf<T extends string>(
  value: unknown,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value as T))
    throw invalidArg(`"${name}" must be ${allowed.map((a) => `"${a}"`).join(', ')}`)
  return value as T
}

function section<T>(value: T | undefined, name: string): T | Record<string, never> {
  if (value === undefined) return {}
  if (!isObject(value)) throw invalidArg(`"${name}" must be an object`, 'ERR_INVALID_ARG_TYPE')
  return value
}

const hasMethods = (value: unknown, methods: string[]) =>
  isObject(value) && methods.every((m) => typeof value[m] === 'function')

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Authorization parameters the library owns. */
const MANAGED_PARAMS = new Set([
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
])

/** `true` when `name` is an authorization parameter the library sets itself. @internal */
export function isManagedParam(name: string): boolean {
  return MANAGED_PARAMS.has(name)
}

function path(value: unknown, name: string, fallback: string): string {
  const p = value ?? fallback
  if (typeof p !== 'string' || !p.startsWith('/') || p.startsWith('//') || /[?#\s]/.test(p))
    throw invalidArg(`"${name}" must be an absolute path without query or fragment`)
  return p
}

function resolveClient(input: unknown): ProviderClient {
  if (!isObject(input)) throw invalidArg('"client" must be an object', 'ERR_INVALID_ARG_TYPE')
  const client = input as unknown as ClientConfig
  if (typeof client.id !== 'string' || client.id === '')
    throw invalidArg('"client.id" must be a non-empty string')
  if (client.secret !== undefined && (typeof client.secret !== 'string' || client.secret === ''))
    throw invalidArg('"client.secret" must be a non-empty string')
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
  if (
    client.idTokenSignedResponseAlg !== undefined &&
    (typeof client.idTokenSignedResponseAlg !== 'string' || client.idTokenSignedResponseAlg === '')
  )
    throw invalidArg('"client.idTokenSignedResponseAlg" must be a non-empty string')
  return {
    id: client.id,
    authMethod,
    ...(client.secret !== undefined ? { secret: client.secret } : {}),
    // A WebCryptoKey is a CryptoKey described by its shape; the provider layer checks the value.
    ...(client.privateKey !== undefined
      ? { privateKey: client.privateKey as NonNullable<ProviderClient['privateKey']> }
      : {}),
    ...(client.idTokenSignedResponseAlg !== undefined
      ? { idTokenSignedResponseAlg: client.idTokenSignedResponseAlg }
      : {}),
  }
}

function resolveAuthorizationParams(value: unknown): Record<string, string> {
  const params = value ?? {}
  if (!isObject(params))
    throw invalidArg('"authorizationParams" must be an object', 'ERR_INVALID_ARG_TYPE')
  for (const [key, entry] of Object.entries(params)) {
    if (typeof entry !== 'string')
      throw invalidArg(`"authorizationParams.${key}" must be a string`, 'ERR_INVALID_ARG_TYPE')
    if (isManagedParam(key))
      throw invalidArg(`"authorizationParams.${key}" is managed by oidc-session and cannot be set`)
  }
  return { ...(params as Record<string, string>) }
}

function resolveClassify(value: unknown): ClassifyOptions {
  const classify = section(value as ClassifyOptions | undefined, 'classify') as ClassifyOptions
  if (classify.predicate !== undefined && typeof classify.predicate !== 'function')
    throw invalidArg('"classify.predicate" must be a function', 'ERR_INVALID_ARG_TYPE')
  if (classify.defaultAjax !== undefined && typeof classify.defaultAjax !== 'boolean')
    throw invalidArg('"classify.defaultAjax" must be a boolean', 'ERR_INVALID_ARG_TYPE')
  if (
    classify.ajaxPaths !== undefined &&
    (!Array.isArray(classify.ajaxPaths) ||
      !classify.ajaxPaths.every((p) => typeof p === 'string' || p instanceof RegExp))
  )
    throw invalidArg(
      '"classify.ajaxPaths" must be an array of strings and regular expressions',
      'ERR_INVALID_ARG_TYPE',
    )
  return { ...classify }
}

/**
 * Validate and default the options of {@link createOidcSession}.
 *
 * @param input the options as given
 * @returns the {@link ResolvedConfig}
 * @throws TypeError `ERR_INVALID_ARG_VALUE` / `ERR_INVALID_ARG_TYPE` naming the offending option.
 * @example
 * ```ts
 * const config = resolveConfig({ issuer, client: { id: 'app' }, redirectUri, secrets })
 * ```
 */
export function resolveConfig<TData extends SessionData = SessionData>(
  input: OidcSessionConfig<TData>,
): ResolvedConfig {
  if (!isObject(input)) throw invalidArg('options must be an object', 'ERR_INVALID_ARG_TYPE')
  const issuer = toUrl(input.issuer, 'issuer')
  const client = resolveClient(input.client)

  const redirectUri = toUrl(input.redirectUri, 'redirectUri')
  const origin =
    input.baseUrl === undefined ? redirectUri.origin : toUrl(input.baseUrl, 'baseUrl').origin
  if (redirectUri.origin !== origin)
    throw invalidArg('"redirectUri" must be on the app origin ("baseUrl")')
  const postLogoutRedirectUri =
    input.postLogoutRedirectUri === undefined
      ? new URL('/', origin)
      : toUrl(input.postLogoutRedirectUri, 'postLogoutRedirectUri')

  const scope = input.scope ?? 'openid profile offline_access'
  if (typeof scope !== 'string' || !scope.split(' ').includes('openid')) {
    throw invalidArg('"scope" must be a space-separated string containing "openid"')
  }
  if (input.provider !== undefined && !isProviderName(input.provider))
    throw invalidArg(`"provider" must be one of ${PROVIDER_NAMES.join(', ')}`)
  const authorizationParams = resolveAuthorizationParams(input.authorizationParams)
  const secrets = validateSecrets(input.secrets)

  const cookies = section(input.cookies, 'cookies') as CookieConfig
  const insecureLoopback = redirectUri.protocol === 'http:' && isLoopbackHost(redirectUri.hostname)
  if (redirectUri.protocol === 'http:' && !insecureLoopback && cookies.secure !== false) {
    throw invalidArg(
      '"redirectUri" is plain HTTP on a non-loopback host: use https, or set "cookies.secure: false" knowingly',
    )
  }
  const secure = flag(cookies.secure, 'cookies.secure', !insecureLoopback)
  const trustProxy = resolveTrustProxy(input.trustProxy, origin, secure)
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
  const cookiePath = cookies.path ?? '/'
  if (typeof cookiePath !== 'string' || !cookiePath.startsWith('/'))
    throw invalidArg('"cookies.path" must start with "/"')
  const domain = cookies.domain
  if (domain !== undefined && (typeof domain !== 'string' || domain === ''))
    throw invalidArg('"cookies.domain" must be a non-empty string')
  const prefix = !secure ? '' : domain === undefined && cookiePath === '/' ? '__Host-' : '__Secure-'
  const attributes: CookieAttributes = {
    httpOnly: true,
    secure,
    sameSite,
    path: cookiePath,
    ...(domain !== undefined ? { domain } : {}),
  }

  const http = section(input.http, 'http') as NonNullable<OidcSessionConfig['http']>
  const allowInsecureRequests = flag(
    http.allowInsecureRequests,
    'http.allowInsecureRequests',
    issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname),
  )
  if (issuer.protocol === 'http:' && !allowInsecureRequests) {
    throw invalidArg(
      '"issuer" is plain HTTP: only loopback issuers are allowed by default (see "http.allowInsecureRequests")',
    )
  }
  if (http.fetch !== undefined && typeof http.fetch !== 'function')
    throw invalidArg('"http.fetch" must be a function', 'ERR_INVALID_ARG_TYPE')
  const timeoutMs = positive(http.timeoutMs, 'http.timeoutMs', 10_000)

  const routesInput = section(input.routes, 'routes') as RoutesConfig
  const routes: Routes = Object.freeze({
    login: path(routesInput.login, 'routes.login', '/login'),
    callback: path(routesInput.callback, 'routes.callback', redirectUri.pathname),
    logout: path(routesInput.logout, 'routes.logout', '/logout'),
    backchannelLogout: path(
      routesInput.backchannelLogout,
      'routes.backchannelLogout',
      '/backchannel-logout',
    ),
  })
  if (routes.callback !== redirectUri.pathname)
    throw invalidArg('"routes.callback" must be the path of "redirectUri"')
  if (new Set(Object.values(routes)).size !== 4)
    throw invalidArg('"routes" must name four different paths')

  const now = input.now ?? Date.now
  if (typeof now !== 'function')
    throw invalidArg('"now" must be a function', 'ERR_INVALID_ARG_TYPE')
  const clockToleranceSeconds = positive(
    input.clockToleranceSeconds,
    'clockToleranceSeconds',
    30,
    true,
  )
  const events = section(input.events, 'events') as SessionEvents
  const logger = input.logger ?? console
  if (!hasMethods(logger, ['warn']))
    throw invalidArg('"logger" must have a warn(message) method', 'ERR_INVALID_ARG_TYPE')
  if (input.store !== undefined && !hasMethods(input.store, ['load', 'save', 'destroy']))
    throw invalidArg('"store" must be a SessionStore', 'ERR_INVALID_ARG_TYPE')

  const resources = resolveResources(input.resources)
  const dpop = flag(input.dpop, 'dpop', false)
  const sessionInput = section(input.session, 'session') as SessionLifetimeConfig
  const lifetimes = resolveLifetimes(sessionInput)

  return {
    origin,
    requestOrigin: createRequestOrigin({ origin, trustProxy, secureOnly: secure }),
    routes,
    provider: {
      issuer,
      client,
      redirectUri,
      scope,
      scopeExplicit: input.scope !== undefined,
      provider: input.provider,
      authorizationParams,
      timeoutMs,
      allowInsecureRequests,
      fetch: http.fetch,
      clockToleranceSeconds,
      now,
      resources: {
        login: resources.login,
        default: resources.default,
        parameter: resources.parameter,
      },
      dpop,
      pushedAuthorizationRequests: flag(
        input.pushedAuthorizationRequests,
        'pushedAuthorizationRequests',
        false,
      ),
    },
    secrets,
    store: input.store,
    cookie: { name: `${prefix}${name}`, attributes },
    transactionCookie: {
      prefix: `${prefix}${name}_tx.`,
      // The provider redirects back with a top-level GET: Lax is the strictest that works.
      attributes: { ...attributes, sameSite: sameSite === 'none' ? 'none' : 'lax' },
    },
    absoluteDuration: lifetimes.absolute,
    lifetimes,
    storeUserAgent: flag(sessionInput.userAgent, 'session.userAgent', false),
    hooks: resolveHooks(input.hooks),
    onEvent: resolveOnEvent(input.onEvent),
    silentLoginSeconds: positive(
      section(input.silentLogin, 'silentLogin').retryAfterSeconds,
      'silentLogin.retryAfterSeconds',
      300,
      true,
    ),
    lifecycle: {
      leewaySeconds: positive(input.refresh?.leewaySeconds, 'refresh.leewaySeconds', 60, true),
      clockToleranceSeconds,
    },
    refresh: resolveRefresh(input.refresh),
    logout: resolveLogout(input.logout, timeoutMs, postLogoutRedirectUri),
    resourceTokens: { maxPerSession: resources.maxPerSession, parameter: resources.parameter },
    dpop,
    classify: resolveClassify(input.classify),
    events,
    logger,
    now,
  }
}

function resolveLifetimes(input: SessionLifetimeConfig): ResolvedConfig['lifetimes'] {
  if (input.absolute !== undefined && input.absoluteDuration !== undefined)
    throw invalidArg(
      '"session.absolute" and "session.absoluteDuration" are the same option: set one',
    )
  const absolute =
    input.absoluteDuration !== undefined
      ? positive(input.absoluteDuration, 'session.absoluteDuration', 0)
      : positive(input.absolute, 'session.absolute', 7 * 24 * 3600)
  const idle = input.idle === undefined ? undefined : positive(input.idle, 'session.idle', 0)
  if (idle === undefined) {
    if (input.touchAfter !== undefined)
      throw invalidArg('"session.touchAfter" needs "session.idle"')
    return { absolute, idle, touchAfter: 0 }
  }
  const touchAfter = positive(
    input.touchAfter,
    'session.touchAfter',
    Math.min(300, Math.floor(idle / 10)),
    true,
  )
  if (touchAfter >= idle) throw invalidArg('"session.touchAfter" must be less than "session.idle"')
  return { absolute, idle, touchAfter }
}

function resolveHooks(value: unknown): SessionHooks {
  const hooks = section(value as SessionHooks | undefined, 'hooks') as SessionHooks
  for (const name of ['onCallback', 'beforeSave'] as const)
    if (hooks[name] !== undefined && typeof hooks[name] !== 'function')
      throw invalidArg(`"hooks.${name}" must be a function`, 'ERR_INVALID_ARG_TYPE')
  return { ...hooks }
}

function resolveOnEvent(value: unknown): ((event: OidcSessionEvent) => void) | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function')
    throw invalidArg('"onEvent" must be a function', 'ERR_INVALID_ARG_TYPE')
  return value as (event: OidcSessionEvent) => void
}

function resolveTrustProxy(value: unknown, origin: string, secure: boolean): ResolvedTrustProxy {
  if (value === undefined || typeof value === 'boolean') return value ?? false
  if (!Array.isArray(value))
    throw invalidArg(
      '"trustProxy" must be a boolean or an array of origins',
      'ERR_INVALID_ARG_TYPE',
    )
  const origins = new Set([origin])
  value.forEach((entry: unknown, i: number) => {
    const url = toUrl(entry, `trustProxy[${i}]`)
    if (url.href !== `${url.origin}/`) throw invalidArg(`"trustProxy[${i}]" must be an origin`)
    if (secure && url.protocol !== 'https:')
      throw invalidArg(`"trustProxy[${i}]" must be https: the cookies are Secure`)
    origins.add(url.origin)
  })
  return origins
}

/** A resource indicator (RFC 8707 §2: an absolute URI without a fragment) or an audience. */
function resourceValue(value: unknown, name: string, parameter: 'resource' | 'audience'): string {
  if (typeof value !== 'string' || value === '')
    throw invalidArg(`"${name}" must be a non-empty string`, 'ERR_INVALID_ARG_TYPE')
  if (parameter === 'audience') return value
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalidArg(`"${name}" must be an absolute URI (RFC 8707 §2)`)
  }
  if (value.includes('#') || url.hash !== '')
    throw invalidArg(`"${name}" must not contain a fragment (RFC 8707 §2)`)
  return value
}

function resolveResources(input: ResourcesConfig | undefined): {
  login: readonly string[]
  default: string | undefined
  parameter: 'resource' | 'audience'
  maxPerSession: number
} {
  if (Array.isArray(input))
    throw invalidArg('"resources" must be an object', 'ERR_INVALID_ARG_TYPE')
  const resources = section(input, 'resources') as ResourcesConfig
  const parameter = resources.parameter ?? 'resource'
  if (parameter !== 'resource' && parameter !== 'audience')
    throw invalidArg('"resources.parameter" must be "resource" or "audience"')
  const indicators = resources.indicators ?? []
  if (!Array.isArray(indicators))
    throw invalidArg('"resources.indicators" must be an array', 'ERR_INVALID_ARG_TYPE')
  const login = indicators.map((value: unknown, i: number) =>
    resourceValue(value, `resources.indicators[${i}]`, parameter),
  )
  const fallback =
    resources.default === undefined
      ? undefined
      : resourceValue(resources.default, 'resources.default', parameter)
  // The default resource is part of every login: its token comes with the code.
  if (fallback !== undefined && !login.includes(fallback)) login.unshift(fallback)
  const maxPerSession = positive(resources.maxPerSession, 'resources.maxPerSession', 4, true)
  if (!Number.isInteger(maxPerSession))
    throw invalidArg('"resources.maxPerSession" must be an integer')
  return { login: Object.freeze([...new Set(login)]), default: fallback, parameter, maxPerSession }
}

function resolveRefresh(input: OidcSessionConfig['refresh']): ResolvedRefreshConfig {
  const refresh = section(input, 'refresh') as NonNullable<OidcSessionConfig['refresh']>
  if (refresh.lock !== undefined && !hasMethods(refresh.lock, ['acquire', 'waitForRelease']))
    throw invalidArg('"refresh.lock" must be a RefreshLock', 'ERR_INVALID_ARG_TYPE')
  if (
    refresh.resultCache !== undefined &&
    !hasMethods(refresh.resultCache, ['get', 'set', 'delete'])
  )
    throw invalidArg('"refresh.resultCache" must be a ResultCache', 'ERR_INVALID_ARG_TYPE')
  const backoff = section(refresh.backoff, 'refresh.backoff') as {
    initialMs?: number
    maxMs?: number
  }
  return {
    lock: refresh.lock,
    resultCache: refresh.resultCache,
    resultTtlSeconds: positive(refresh.resultTtlSeconds, 'refresh.resultTtlSeconds', 60, true),
    lockLeaseMs:
      refresh.lockLeaseMs === undefined
        ? undefined
        : positive(refresh.lockLeaseMs, 'refresh.lockLeaseMs', 5_000),
    lockWaitMs:
      refresh.lockWaitMs === undefined
        ? undefined
        : positive(refresh.lockWaitMs, 'refresh.lockWaitMs', 0),
    backoffInitialMs: positive(backoff.initialMs, 'refresh.backoff.initialMs', 500, true),
    backoffMaxMs: positive(backoff.maxMs, 'refresh.backoff.maxMs', 30_000, true),
    background: flag(refresh.background, 'refresh.background', false),
  }
}

function resolveLogout(
  input: LogoutConfig | undefined,
  timeoutMs: number,
  postLogoutRedirectUri: URL,
): ResolvedLogoutConfig {
  const logout = section(input, 'logout') as LogoutConfig
  const uris = logout.postLogoutRedirectUris ?? []
  if (!Array.isArray(uris))
    throw invalidArg('"logout.postLogoutRedirectUris" must be an array', 'ERR_INVALID_ARG_TYPE')
  if (
    logout.revocationList !== undefined &&
    !hasMethods(logout.revocationList, ['add', 'notBefore'])
  )
    throw invalidArg('"logout.revocationList" must be a RevocationList', 'ERR_INVALID_ARG_TYPE')
  if (logout.replayCache !== undefined && !hasMethods(logout.replayCache, ['claim', 'release']))
    throw invalidArg('"logout.replayCache" must be a ReplayCache', 'ERR_INVALID_ARG_TYPE')
  if (logout.endSession !== undefined && typeof logout.endSession !== 'function')
    throw invalidArg('"logout.endSession" must be a function', 'ERR_INVALID_ARG_TYPE')
  return {
    refreshExpiredIdToken: flag(logout.refreshExpiredIdToken, 'logout.refreshExpiredIdToken', true),
    revokeRefreshToken: flag(logout.revokeRefreshToken, 'logout.revokeRefreshToken', true),
    revocationTimeoutMs: positive(
      logout.revocationTimeoutMs,
      'logout.revocationTimeoutMs',
      Math.min(2_000, timeoutMs),
    ),
    postLogoutRedirectUri,
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
      'logout.backchannelRevokeRefreshTokens',
      false,
    ),
    backchannel: oneOf(
      logout.backchannel,
      'logout.backchannel',
      ['auto', 'accept', 'refuse'],
      'auto',
    ),
    endSession: logout.endSession,
  }
}
