/**
 * Every error oidc-session throws on purpose is an {@link OidcSessionError} with a stable `code`.
 * Messages never contain a token, a cookie value or a secret; the original error (for example an
 * `oauth4webapi` `ResponseBodyError`) rides along as `cause`.
 *
 * @module
 */

/** All error codes, to `switch` on. */
export type OidcSessionErrorCode =
  | 'ERR_DISCOVERY_FAILED'
  | 'ERR_PROVIDER_UNAVAILABLE'
  | 'ERR_PROVIDER_RESPONSE_INVALID'
  | 'ERR_CALLBACK_NO_TRANSACTION'
  | 'ERR_CALLBACK_STATE_MISMATCH'
  | 'ERR_CALLBACK_PROVIDER_ERROR'
  | 'ERR_CALLBACK_INVALID'
  | 'ERR_REFRESH_INVALID_GRANT'
  | 'ERR_REFRESH_UNAVAILABLE'
  | 'ERR_SESSION_REQUIRED'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_COOKIE_TOO_LARGE'
  | 'ERR_SEAL_INVALID'
  | 'ERR_LOGOUT_TOKEN_INVALID'

/** Base class of every oidc-session error. */
export class OidcSessionError extends Error {
  /** Stable machine-readable code. */
  readonly code: OidcSessionErrorCode
  /** `true` when retrying later may succeed (provider or store unreachable). */
  readonly transient: boolean

  constructor(
    code: OidcSessionErrorCode,
    message: string,
    options?: { cause?: unknown; transient?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.transient = options?.transient ?? false
  }
}

/**
 * The provider could not be reached or answered with something that is not a protocol answer
 * (network error, timeout, 5xx, HTML instead of JSON). Transient: the session is kept.
 */
export class ProviderUnavailableError extends OidcSessionError {
  static readonly code = 'ERR_PROVIDER_UNAVAILABLE'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PROVIDER_UNAVAILABLE', message, { ...options, transient: true })
  }
}

/** Discovery of the provider's metadata failed (transient: retried on the next call). */
export class DiscoveryError extends OidcSessionError {
  static readonly code = 'ERR_DISCOVERY_FAILED'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DISCOVERY_FAILED', message, { ...options, transient: true })
  }
}

/** The provider answered a well-formed but unacceptable response (bad id_token, wrong issuer…). */
export class ProviderResponseError extends OidcSessionError {
  static readonly code = 'ERR_PROVIDER_RESPONSE_INVALID'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PROVIDER_RESPONSE_INVALID', message, options)
  }
}

/** Codes of {@link CallbackError}. */
export type CallbackErrorCode = Extract<
  OidcSessionErrorCode,
  | 'ERR_CALLBACK_NO_TRANSACTION'
  | 'ERR_CALLBACK_STATE_MISMATCH'
  | 'ERR_CALLBACK_PROVIDER_ERROR'
  | 'ERR_CALLBACK_INVALID'
>

/**
 * The login callback could not be completed: no (or a tampered, expired, foreign) transaction
 * cookie, a `state` that matches no transaction, an error answered by the provider, or an invalid
 * code exchange. The user should start the login again.
 */
export class CallbackError extends OidcSessionError {
  /** OAuth `error` parameter when the provider answered one (`access_denied`…). */
  readonly error: string | undefined
  constructor(
    code: CallbackErrorCode,
    message: string,
    options?: { cause?: unknown; error?: string },
  ) {
    super(code, message, options)
    this.error = options?.error
  }
}

/** The refresh token was rejected (`invalid_grant`): the session has ended at the provider. */
export class RefreshRejectedError extends OidcSessionError {
  static readonly code = 'ERR_REFRESH_INVALID_GRANT'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_REFRESH_INVALID_GRANT', message, options)
  }
}

/** No usable session for an operation that needs one. */
export class SessionRequiredError extends OidcSessionError {
  static readonly code = 'ERR_SESSION_REQUIRED'
  /** Why there is no session (see {@link SessionEndReason}). */
  readonly reason: string
  constructor(reason: string, options?: { cause?: unknown }) {
    super('ERR_SESSION_REQUIRED', `no usable session (${reason})`, options)
    this.reason = reason
  }
}

/** A session store could not be reached in time. Transient: nothing was deleted. */
export class StoreUnavailableError extends OidcSessionError {
  static readonly code = 'ERR_STORE_UNAVAILABLE'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORE_UNAVAILABLE', message, { ...options, transient: true })
  }
}

/** The sealed session does not fit the cookie budget; use a stateful store (`oidc-session/redis`). */
export class CookieTooLargeError extends OidcSessionError {
  static readonly code = 'ERR_COOKIE_TOO_LARGE'
  constructor(message: string) {
    super('ERR_COOKIE_TOO_LARGE', message)
  }
}

/** A sealed value could not be opened: tampered, truncated, foreign, or sealed under an unknown key. */
export class SealError extends OidcSessionError {
  static readonly code = 'ERR_SEAL_INVALID'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SEAL_INVALID', message, options)
  }
}

/** A back-channel `logout_token` failed validation (OpenID Connect Back-Channel Logout 1.0 §2.6). */
export class LogoutTokenError extends OidcSessionError {
  static readonly code = 'ERR_LOGOUT_TOKEN_INVALID'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_LOGOUT_TOKEN_INVALID', message, options)
  }
}

/** `TypeError` with a Node-style code, thrown for invalid options at construction. */
export function invalidArg(
  message: string,
  code: 'ERR_INVALID_ARG_VALUE' | 'ERR_INVALID_ARG_TYPE' = 'ERR_INVALID_ARG_VALUE',
): TypeError {
  const error = new TypeError(message) as TypeError & { code: string }
  error.code = code
  return error
}
