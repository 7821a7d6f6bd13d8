/**
 * oidc-session: OpenID Connect relying-party sessions for any server.
 *
 * @packageDocumentation
 */
export { createOidcSession, idTokenClaims } from './session/manager.js'
export type {
  AuthFailure,
  AuthResult,
  CreateOptions,
  LoginOptions,
  OidcSession,
  ProtectResult,
} from './session/manager.js'
export type {
  ClientAuthMethod,
  ClientConfig,
  CookieConfig,
  OidcSessionConfig,
  ResolvedConfig,
} from './config.js'
export {
  CallbackError,
  CookieTooLargeError,
  DiscoveryError,
  LogoutTokenError,
  OidcSessionError,
  ProviderResponseError,
  ProviderUnavailableError,
  RefreshRejectedError,
  SealError,
  SessionRequiredError,
  StoreUnavailableError,
} from './errors.js'
export type { CallbackErrorCode, OidcSessionErrorCode } from './errors.js'
export type { Session } from './session/session.js'
export type { SessionEndReason, SessionEvents } from './session/events.js'
export type { TokenSet } from './tokens/token-set.js'
export { tokenState } from './tokens/lifecycle.js'
export type { TokenState, TokenStateOptions } from './tokens/lifecycle.js'
export { mergeTokens } from './tokens/merge.js'
export { cookieStore } from './stores/cookie/index.js'
export type { CookieStoreOptions } from './stores/cookie/index.js'
export { memoryStore } from './stores/memory/index.js'
export type { MemoryStore, MemoryStoreOptions } from './stores/memory/index.js'
export type { LoadFailure, LoadResult, SessionStore, StoreContext } from './stores/types.js'
export { memoryResultCache } from './refresh/result-cache.js'
export type { ResultCache } from './refresh/result-cache.js'
export type { LockLease, RefreshLock } from './refresh/lock.js'
export { classifyRequest, isAjax } from './request/is-ajax.js'
export type { AjaxReason, ClassifyOptions } from './request/is-ajax.js'
export type { HeaderRecord, HeadersInput, RequestLike } from './request/headers.js'
export { safeReturnTo } from './request/url.js'
export { forwardCookies } from './request/forward-cookies.js'
export type { ForwardCookiesOptions } from './request/forward-cookies.js'
export { CookieJar } from './request/cookie-jar.js'
export type { CookieAttributes } from './request/cookie-jar.js'
export { isStatefulStore } from './stores/types.js'
export type { StatefulSessionStore } from './stores/types.js'
export { isCrossSite } from './logout/logout.js'
export type { LogoutOptions } from './logout/logout.js'
export type { BackchannelRequest } from './logout/backchannel.js'
export { isRevoked, memoryRevocationList } from './logout/revocation-list.js'
export type { RevocationEntry, RevocationList } from './logout/revocation-list.js'
export { memoryReplayCache } from './logout/replay-cache.js'
export type { ReplayCache } from './logout/replay-cache.js'
export type { LogoutConfig, ResolvedLogoutConfig } from './config.js'
export { memoryLock } from './refresh/memory-lock.js'
export type { MemoryLockOptions } from './refresh/memory-lock.js'
export { runExclusive } from './refresh/cross-process.js'
export type { RunExclusiveOptions } from './refresh/cross-process.js'
