/**
 * Type tests of the public API (checked by `tsc -p tsconfig.test.json`, never run):
 *
 * - the results of `authenticate()`, `protect()` and the Next.js `getSession()` narrow on `ok`
 *   (and `protect()`'s on `response`): a session exactly where there is one, no `!` needed;
 * - every public union is closed: each is compared with its exact members, so a member added,
 *   removed or widened to `string` fails here and must be a deliberate, documented change;
 * - the adapters' augmentations of the frameworks' own types (`req.oidc`, `request.oidc`).
 *
 * `adapters.test-d.ts` checks how each adapter's `protect`/`authenticate` types its handlers.
 */
import type { Request as ExpressRequest } from 'express'
import type { FastifyRequest } from 'fastify'
import { expectTypeOf } from 'expect-type'
import type { OidcSessionError, SessionRequiredError } from 'oidc-session'
import {
  CallbackError,
  PROVIDER_NAMES,
  isProviderName,
  tokenState,
  type AjaxReason,
  type AuthFailureReason,
  type AuthResult,
  type AuthSuccessReason,
  type CallbackErrorCode,
  type ClientAuthMethod,
  type LoadFailure,
  type LoadResult,
  type OidcSession,
  type OidcSessionEvent,
  type OidcSessionErrorCode,
  type ProtectResult,
  type ProviderName,
  type Session,
  type SessionEndReason,
  type SessionEvents,
  type SessionFailure,
  type StepUpFailureReason,
  type TokenState,
  type UserInfoClaims,
} from 'oidc-session'
import type { classifyRequest } from 'oidc-session/ajax'
import type { OidcContext } from 'oidc-session/express'
import type { SessionResult } from 'oidc-session/next'

declare const auth: OidcSession
declare const request: Request

// ── Narrowing ────────────────────────────────────────────────────────────────────────────────

export async function narrowing(): Promise<void> {
  const protectedResult = await auth.protect(request)
  expectTypeOf(protectedResult).toEqualTypeOf<ProtectResult>()
  if (protectedResult.ok) {
    expectTypeOf(protectedResult.session).toEqualTypeOf<Session>()
    expectTypeOf(protectedResult.reason).toEqualTypeOf<AuthSuccessReason>()
    expectTypeOf(protectedResult.response).toEqualTypeOf<undefined>()
  } else {
    expectTypeOf(protectedResult.session).toEqualTypeOf<null>()
    expectTypeOf(protectedResult.reason).toEqualTypeOf<AuthFailureReason | StepUpFailureReason>()
    expectTypeOf(protectedResult.response).toEqualTypeOf<Response>()
  }
  // The usual early return narrows too: past it, the session is there.
  if (protectedResult.response) {
    expectTypeOf(protectedResult.session).toEqualTypeOf<null>()
    return
  }
  expectTypeOf(protectedResult.session).toEqualTypeOf<Session>()
  // @ts-expect-error — before narrowing, the session may be null
  expectTypeOf((await auth.protect(request)).session.sub).toBeString()

  const result = await auth.authenticate(request)
  expectTypeOf(result).toEqualTypeOf<AuthResult>()
  if (result.ok) {
    expectTypeOf(result.session).toEqualTypeOf<Session>()
    expectTypeOf(result.reason).toEqualTypeOf<AuthSuccessReason>()
  } else {
    expectTypeOf(result.session).toEqualTypeOf<null>()
    expectTypeOf(result.reason).toEqualTypeOf<AuthFailureReason>()
  }
  if (result.session) expectTypeOf(result.reason).toEqualTypeOf<AuthSuccessReason>()

  const { claims } = await auth.userinfo(request)
  expectTypeOf(claims).toEqualTypeOf<UserInfoClaims>()
  expectTypeOf(claims.sub).toEqualTypeOf<string>()
  expectTypeOf(claims.email_verified).toEqualTypeOf<boolean | undefined>()
}

declare const nextResult: SessionResult
if (nextResult.ok) expectTypeOf(nextResult.session).toEqualTypeOf<Session>()
else expectTypeOf(nextResult.reason).toEqualTypeOf<AuthFailureReason>()

declare const loaded: LoadResult
if (loaded.session) expectTypeOf(loaded.reason).toEqualTypeOf<undefined>()
else expectTypeOf(loaded.reason).toEqualTypeOf<LoadFailure>()

// ── Closed unions ────────────────────────────────────────────────────────────────────────────

expectTypeOf<AuthSuccessReason>().toEqualTypeOf<'valid' | 'refreshed' | 'refresh-deferred'>()
expectTypeOf<SessionFailure>().toEqualTypeOf<
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
>()
expectTypeOf<AuthFailureReason>().toEqualTypeOf<SessionFailure | 'refresh-required'>()
expectTypeOf<StepUpFailureReason>().toEqualTypeOf<
  'insufficient-authentication' | 'insufficient-claims'
>()
expectTypeOf<LoadFailure>().toEqualTypeOf<
  'none' | 'tampered' | 'incomplete' | 'expired' | 'revoked'
>()
expectTypeOf<SessionEndReason>().toEqualTypeOf<
  | 'logout'
  | 'backchannel-logout'
  | 'ended-remotely'
  | 'ended-everywhere'
  | 'refresh-rejected'
  | 'unrefreshable'
  | 'refresh-expired'
  | 'idle-timeout'
  | 'absolute-timeout'
>()
expectTypeOf<OidcSessionErrorCode>().toEqualTypeOf<
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
>()
expectTypeOf<CallbackErrorCode>().toEqualTypeOf<
  | 'ERR_CALLBACK_NO_TRANSACTION'
  | 'ERR_CALLBACK_STATE_MISMATCH'
  | 'ERR_CALLBACK_PROVIDER_ERROR'
  | 'ERR_CALLBACK_INVALID'
>()
expectTypeOf<OidcSessionError['code']>().toEqualTypeOf<OidcSessionErrorCode>()
expectTypeOf<CallbackError['code']>().toEqualTypeOf<OidcSessionErrorCode>()
expectTypeOf(CallbackError)
  .constructorParameters.toHaveProperty('0')
  .toEqualTypeOf<CallbackErrorCode>()
expectTypeOf<SessionRequiredError>().toExtend<OidcSessionError>()

// Event names, and the `source` of a refresh.
expectTypeOf<keyof SessionEvents>().toEqualTypeOf<
  | 'login'
  | 'silentLoginFailed'
  | 'refresh'
  | 'refreshError'
  | 'sessionEnded'
  | 'sessionTooLarge'
  | 'logout'
  | 'backchannelLogout'
  | 'cookieWritten'
>()
// The `onEvent` schema: one `type` per event hook, in kebab-case.
expectTypeOf<OidcSessionEvent['type']>().toEqualTypeOf<
  | 'login'
  | 'silent-login-failed'
  | 'refresh'
  | 'refresh-error'
  | 'session-ended'
  | 'session-too-large'
  | 'logout'
  | 'backchannel-logout'
  | 'cookie-written'
>()
expectTypeOf<
  Extract<OidcSessionEvent, { type: 'session-ended' }>['reason']
>().toEqualTypeOf<SessionEndReason>()
expectTypeOf<Parameters<NonNullable<SessionEvents['refresh']>>[0]['source']>().toEqualTypeOf<
  'provider' | 'shared' | 'cache'
>()
expectTypeOf<
  Parameters<NonNullable<SessionEvents['sessionEnded']>>[0]['reason']
>().toEqualTypeOf<SessionEndReason>()

expectTypeOf<AjaxReason>().toEqualTypeOf<ReturnType<typeof classifyRequest>['reason']>()
expectTypeOf<TokenState>().toEqualTypeOf<
  'fresh' | 'due' | 'expired' | 'unrefreshable' | 'refresh-expired'
>()
expectTypeOf(tokenState).returns.toEqualTypeOf<TokenState>()
expectTypeOf<ProviderName>().toEqualTypeOf<
  'generic' | 'google' | 'cognito' | 'entra' | 'auth0' | 'okta' | 'keycloak' | 'zitadel'
>()
expectTypeOf(PROVIDER_NAMES).toEqualTypeOf<readonly ProviderName[]>()
expectTypeOf(isProviderName).guards.toEqualTypeOf<ProviderName>()
expectTypeOf<ClientAuthMethod>().toEqualTypeOf<
  'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none'
>()

// A closed union is exhaustive in a switch: no default branch needed.
export function describeFailure(reason: AuthFailureReason): string {
  switch (reason) {
    case 'none':
    case 'expired':
    case 'idle-timeout':
    case 'absolute-timeout':
    case 'revoked':
    case 'tampered':
    case 'incomplete':
      return 'log in'
    case 'unrefreshable':
    case 'refresh-expired':
    case 'refresh-rejected':
    case 'refresh-required':
      return 'log in again'
    case 'refresh-failed':
    case 'provider-unavailable':
    case 'store-unavailable':
      return 'try later'
    default: {
      const unreachable: never = reason
      return unreachable
    }
  }
}

// ── The adapters' augmentations ──────────────────────────────────────────────────────────────

// oidc-session/express adds `oidc` to every Express request (set by protect/authenticate).
expectTypeOf<ExpressRequest['oidc']>().toEqualTypeOf<OidcContext | undefined>()
// oidc-session/fastify decorates every request with `oidc` (null until a preHandler ran).
expectTypeOf<FastifyRequest['oidc']>().toEqualTypeOf<OidcContext | null>()
