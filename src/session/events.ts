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
  | Extract<SessionFailure, 'refresh-rejected' | 'unrefreshable' | 'refresh-expired'>

/** Hooks called by the session manager; exceptions thrown by hooks are swallowed. */
export interface SessionEvents {
  /** A login completed. */
  login?(event: { sessionId: string; sub: string; sid?: string }): void
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
