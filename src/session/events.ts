/**
 * Lifecycle event hooks. Payloads carry identifiers and reasons, never a token or cookie value.
 *
 * @module
 */
import type { SessionFailure } from '../errors.js'

/**
 * Why a session ended: a logout, a back-channel logout, or one of the failures that end it
 * (a refresh token the provider refused, an access token that expired without a refresh token, or
 * with a refresh token past the expiry the provider announced: `refresh-expired`, a planned
 * re-login).
 */
export type SessionEndReason =
  | 'logout'
  | 'backchannel-logout'
  /** Ended from another session of the same user, or by an administrator (`endSession`). */
  | 'ended-remotely'
  /** Ended with every session of the user (`endAllSessions`). */
  | 'ended-everywhere'
  | Extract<
      SessionFailure,
      'refresh-rejected' | 'unrefreshable' | 'refresh-expired' | 'idle-timeout' | 'absolute-timeout'
    >

/** Hooks called by the session manager; exceptions thrown by hooks are swallowed. */
export interface SessionEvents {
  /** A login completed (`acr` when the provider said; `silent` for `prompt=none`). */
  login?(event: {
    sessionId: string
    sub: string
    sid?: string
    acr?: string
    silent?: boolean
  }): void
  /** A silent login (`prompt=none`) came back without a session: the provider's `error`. */
  silentLoginFailed?(event: { error: string }): void
  /**
   * Tokens were refreshed: by this request's token call (`source: 'provider'`), by joining a token
   * call in flight for the same grant (`'shared'`), or by reusing a recent refresh of the same
   * refresh token (`'cache'`: a request that still carried the pre-refresh cookie).
   */
  refresh?(event: { sessionId: string; sub: string; source: 'provider' | 'shared' | 'cache' }): void
  /** A refresh failed; `transient` tells whether the session was kept. */
  refreshError?(event: { sessionId: string; sub: string; code: string; transient: boolean }): void
  /** A session ended. */
  sessionEnded?(event: { sessionId: string; sub: string; reason: SessionEndReason }): void
  /**
   * A refreshed session did not fit the cookie store's budget (`ERR_COOKIE_TOO_LARGE`): a
   * configuration problem — use the Redis store or keep fewer claims. Reported once per session.
   */
  sessionTooLarge?(event: { sessionId: string; sub: string; code: string }): void
  /** A user logged out (RP-initiated logout). */
  logout?(event: { sessionId: string; sub: string }): void
  /**
   * The provider ended sessions by back-channel logout (`sessions`: how many a stateful store
   * destroyed; cookie sessions end through the revocation list and are not counted).
   */
  backchannelLogout?(event: { sub?: string; sid?: string; sessions: number }): void
  /** The cookie store wrote a session: `chunks` cookies, `bytes` of `Cookie` header in total. */
  cookieWritten?(event: { sessionId: string; sub: string; chunks: number; bytes: number }): void
}

/** Call a hook, swallowing what it throws (a hook must never break a request). */
export function emit<K extends keyof SessionEvents>(
  events: SessionEvents,
  name: K,
  payload: Parameters<NonNullable<SessionEvents[K]>>[0],
): void {
  const hook = events[name] as ((payload: unknown) => void) | undefined
  if (!hook) return
  try {
    hook(payload)
  } catch {
    // hooks are observers; their failures are theirs
  }
}
