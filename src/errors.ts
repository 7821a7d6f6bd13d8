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
  | 'ERR_DISCOVERY_ISSUER_MISMATCH'
  | 'ERR_PROVIDER_UNAVAILABLE'
  | 'ERR_PROVIDER_RESPONSE_INVALID'
  | 'ERR_CALLBACK_NO_TRANSACTION'
  | 'ERR_CALLBACK_STATE_MISMATCH'
  | 'ERR_CALLBACK_PROVIDER_ERROR'
  | 'ERR_CALLBACK_INVALID'
  | 'ERR_REFRESH_INVALID_GRANT'
  | 'ERR_REFRESH_REFUSED'
  | 'ERR_SESSION_REQUIRED'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_COOKIE_TOO_LARGE'
  | 'ERR_SEAL_INVALID'
  | 'ERR_LOGOUT_TOKEN_INVALID'
  | 'ERR_ACCESS_DENIED'
  | 'ERR_SILENT_LOGIN'
  | 'ERR_INSUFFICIENT_AUTHENTICATION'

/**
 * Why a request has no usable session: the one vocabulary of the library, used by stores
 * (`LoadResult`), `authenticate()`/`protect()`, `SessionRequiredError.reason` and the
 * `sessionEnded` event.
 *
 * - `none`: no session cookie at all;
 * - `tampered`: the cookie does not open (altered, foreign, unknown key) or the stored value is garbage;
 * - `incomplete`: session cookie chunks missing, extra or out of order;
 * - `expired`: unknown to a stateful store (gone, or past a lifetime it enforced itself);
 * - `idle-timeout`: no request for longer than the idle lifetime (`session.idle`);
 * - `absolute-timeout`: past the absolute lifetime (`session.absolute`);
 * - `revoked`: ended by logout, back-channel logout or an administrator;
 * - `unrefreshable`: the access token expired and there is no refresh token;
 * - `refresh-expired`: the access token expired and so has the refresh token, as the provider said
 *   when it issued it (`refresh_expires_in`, `refresh_token_expires_in`): a planned re-login, found
 *   before any token call;
 * - `refresh-rejected`: the provider refused the refresh token (`invalid_grant`): the grant is over;
 * - `refresh-failed`: the provider refused the refresh for another reason (`invalid_client`,
 *   `invalid_scope`, an answer that breaks OpenID Connect Core §12.2…): not worth retrying;
 * - `provider-unavailable`, `store-unavailable`: transient; the session is kept (503 + `Retry-After`).
 */
export type SessionFailure =
  | 'none'
  | 'tampered'
  | 'incomplete'
  | 'expired'
  | 'idle-timeout'
  | 'absolute-timeout'
  | 'revoked'
  | 'unrefreshable'
  | 'refresh-expired'
  | 'refresh-rejected'
  | 'refresh-failed'
  | 'provider-unavailable'
  | 'store-unavailable'

/** Base class of every oidc-session error. */
export class OidcSessionError extends Error {
  /** Stable machine-readable code. */
  readonly code: OidcSessionErrorCode
  /** `true` when retrying later may succeed (provider or store unreachable). */
  readonly transient: boolean
  /**
   * `Set-Cookie` lines the answer to this error must carry (for example the deletion of a used
   * login transaction cookie); `errorResponse` copies them. Never holds a secret.
   */
  readonly headers: Headers

  constructor(
    code: OidcSessionErrorCode,
    message: string,
    options?: { cause?: unknown; transient?: boolean; headers?: Headers },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.transient = options?.transient ?? false
    this.headers = options?.headers ?? new Headers()
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

/**
 * The provider's discovery document names another issuer than the configured one (a typo, the
 * wrong tenant or realm, `http` for `https`): a configuration error, never retried as an outage.
 * The message names both issuers (public identifiers, never a secret). Multi-tenant Entra ID
 * documents (`…/{tenantid}/v2.0` for a configured `…/common/v2.0`) are not a mismatch.
 *
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationValidation
 */
export class DiscoveryIssuerMismatchError extends OidcSessionError {
  static readonly code = 'ERR_DISCOVERY_ISSUER_MISMATCH'
  /** The configured issuer. */
  readonly configured: string
  /** The `issuer` member of the provider's discovery document. */
  readonly discovered: string
  constructor(configured: string, discovered: string) {
    const shown = discovered.length > 200 ? `${discovered.slice(0, 200)}…` : discovered
    super(
      'ERR_DISCOVERY_ISSUER_MISMATCH',
      `the provider's discovery document names the issuer "${shown}", but "issuer" is configured as "${configured}": set "issuer" to the provider's issuer identifier`,
    )
    this.configured = configured
    this.discovered = discovered
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
    options?: { cause?: unknown; error?: string; headers?: Headers },
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

/**
 * The provider refused a refresh for a reason other than `invalid_grant` (`invalid_client`,
 * `unauthorized_client`, `invalid_scope`…): a configuration problem, not an outage. Remembered per
 * grant like `invalid_grant`, so the provider is not asked again on every request.
 */
export class RefreshRefusedError extends OidcSessionError {
  static readonly code = 'ERR_REFRESH_REFUSED'
  /** The OAuth `error` code the provider answered. */
  readonly error: string
  constructor(error: string, options?: { cause?: unknown }) {
    super('ERR_REFRESH_REFUSED', `the provider refused the refresh (${error})`, options)
    this.error = error
  }
}

/** No usable session for an operation that needs one. */
export class SessionRequiredError extends OidcSessionError {
  static readonly code = 'ERR_SESSION_REQUIRED'
  /**
   * Why there is no session: a {@link SessionFailure}, or `refresh-required` (the access token
   * needs a refresh and the call may not refresh: a React Server Component).
   */
  readonly reason: SessionFailure | 'refresh-required'
  constructor(reason: SessionFailure | 'refresh-required', options?: { cause?: unknown }) {
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

/**
 * The sealed session does not fit the cookie budget: a configuration problem (never transient).
 * Use the Redis store (`oidc-session/redis`) or keep fewer claims in the session.
 */
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

/**
 * A login refused by the application (`hooks.onCallback` threw it): answered `403` — a page for
 * navigations, JSON `{ error: 'access_denied', error_description }` for API calls. The message is
 * shown to the user: write it for them, and put no secret in it.
 */
export class AccessDeniedError extends OidcSessionError {
  static readonly code = 'ERR_ACCESS_DENIED'
  constructor(message = 'access denied', options?: { cause?: unknown }) {
    super('ERR_ACCESS_DENIED', message, options)
  }
}

/**
 * A silent login (`prompt=none`) came back without a session: the provider needs the user
 * (`login_required`, `interaction_required`, `consent_required`, `account_selection_required`).
 * A normal outcome, not a failure: `errorResponse` answers `302` to {@link returnTo},
 * unauthenticated, and {@link headers} carry the cookie that stops silent logins for a while.
 */
export class SilentLoginError extends OidcSessionError {
  static readonly code = 'ERR_SILENT_LOGIN'
  /** Where the login would have landed: a same-origin path. */
  readonly returnTo: string
  /** The provider's OAuth `error`. */
  readonly error: string
  constructor(error: string, returnTo: string, options?: { cause?: unknown; headers?: Headers }) {
    super('ERR_SILENT_LOGIN', `the silent login needs the user (${error})`, options)
    this.error = error
    this.returnTo = returnTo
  }
}

/**
 * The user's authentication is not strong or recent enough for the request (step-up, RFC 9470):
 * the session's `acr` is not one of those asked for, or its `auth_time` is older than `max_age`
 * — also after a step-up login that did not deliver what it asked for — or a required claim is
 * missing.
 */
export class InsufficientAuthenticationError extends OidcSessionError {
  static readonly code = 'ERR_INSUFFICIENT_AUTHENTICATION'
  /** The `acr` values asked for, in order of preference. */
  readonly acrValues: readonly string[] | undefined
  /** The `max_age` asked for, seconds. */
  readonly maxAge: number | undefined
  constructor(
    message: string,
    options?: {
      cause?: unknown
      acrValues?: readonly string[] | undefined
      maxAge?: number | undefined
      headers?: Headers
    },
  ) {
    super('ERR_INSUFFICIENT_AUTHENTICATION', message, options)
    this.acrValues = options?.acrValues
    this.maxAge = options?.maxAge
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
