/**
 * Lifecycle event hooks. Payloads carry identifiers and reasons, never a token or cookie value.
 *
 * @module
 */

/** Why a session ended. */
export type SessionEndReason = 'logout' | 'refresh-rejected' | 'expired' | 'backchannel-logout'

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
