/**
 * oidc-session: OpenID Connect relying-party sessions for any server.
 *
 * @module oidc-session
 */
export { createOidcSession } from './session/manager.js'
export type {
  AccessTokenOptions,
  AccessTokenResult,
  AuthenticateOptions,
  AuthFailureReason,
  AuthResult,
  AuthSuccessReason,
  LoginOptions,
  LogoutOptions,
  OidcRoutes,
  OidcSession,
  ProtectOptions,
  ProtectResult,
  RequestOptions,
  SessionAdmin,
  SessionPatch,
  SessionSummary,
  StepUpFailureReason,
} from './session/types.js'
export type { SessionHooks } from './session/hooks.js'
export type { OidcSessionEvent, OidcSessionEventBase } from './session/observe.js'
export { LOGIN_QUERY_PARAMS } from './session/handler.js'
export type {
  ClientAuthMethod,
  ClientConfig,
  CookieConfig,
  Logger,
  LogoutConfig,
  OidcSessionConfig,
  ResourcesConfig,
  RoutesConfig,
  SessionLifetimeConfig,
  WebCryptoKey,
} from './config.js'
export type { ForwardOptions, ForwardRequest } from './gateway/types.js'
export {
  AccessDeniedError,
  CallbackError,
  CookieTooLargeError,
  DiscoveryError,
  DiscoveryIssuerMismatchError,
  InsufficientAuthenticationError,
  LogoutTokenError,
  OidcSessionError,
  ProviderResponseError,
  ProviderUnavailableError,
  RefreshRefusedError,
  RefreshRejectedError,
  SealError,
  SessionRequiredError,
  SilentLoginError,
  StoreUnavailableError,
} from './errors.js'
export type { CallbackErrorCode, OidcSessionErrorCode, SessionFailure } from './errors.js'
export { ProviderErrorDetails } from './oidc/provider.js'
export { PROVIDER_NAMES, isProviderName } from './oidc/profiles.js'
export type { EndSessionInput, ProviderMetadata, ProviderName } from './oidc/profiles.js'
export type { EndSessionHook } from './oidc/end-session.js'
export { idTokenClaims } from './session/session.js'
export type { ResourceToken, Session, SessionData } from './session/session.js'
export type { SessionEndReason, SessionEvents } from './session/events.js'
export type { TokenSet } from './tokens/token-set.js'
export type {
  IdTokenClaims,
  JsonObject,
  JsonValue,
  JwtClaims,
  TokenResponse,
  UserInfoAddress,
  UserInfoClaims,
} from './tokens/claims.js'
export { refreshTokenExpired, tokenDeadlines, tokenState } from './tokens/lifecycle.js'
export type { TokenState, TokenStateOptions } from './tokens/lifecycle.js'
export { mergeTokens } from './tokens/merge.js'
export { cookieStore } from './stores/cookie/index.js'
export type { CookieStoreOptions } from './stores/cookie/index.js'
export { memoryStore } from './stores/memory/index.js'
export type { MemoryStore, MemoryStoreOptions } from './stores/memory/index.js'
export { isListingStore, isStatefulStore } from './stores/types.js'
export type {
  ListingSessionStore,
  LoadFailure,
  LoadResult,
  SessionStore,
  StatefulSessionStore,
  StoreContext,
  StoredSessionSummary,
} from './stores/types.js'
export { memoryResultCache } from './refresh/result-cache.js'
export type { ResultCache } from './refresh/result-cache.js'
export type { LockLease, RefreshLock } from './refresh/lock.js'
export { memoryLock } from './refresh/memory-lock.js'
export type { MemoryLockOptions } from './refresh/memory-lock.js'
export { runExclusive } from './refresh/cross-process.js'
export type { RunExclusiveOptions } from './refresh/cross-process.js'
export { classifyRequest, isAjax } from './request/is-ajax.js'
export type { AjaxReason, ClassifyOptions } from './request/is-ajax.js'
export type { HeaderRecord, HeadersInput, RequestLike } from './request/headers.js'
export type { FormRequest } from './request/form.js'
export { safeReturnTo } from './request/url.js'
export { forwardCookies } from './request/forward-cookies.js'
export type { ForwardCookiesOptions } from './request/forward-cookies.js'
export { CookieJar } from './request/cookie-jar.js'
export type { CookieAttributes } from './request/cookie-jar.js'
export { isCrossSite } from './logout/logout.js'
export { isRevoked, memoryRevocationList } from './logout/revocation-list.js'
export type { RevocationEntry, RevocationList } from './logout/revocation-list.js'
export { memoryReplayCache } from './logout/replay-cache.js'
export type { ReplayCache } from './logout/replay-cache.js'
