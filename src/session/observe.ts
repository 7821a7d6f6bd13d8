/**
 * The `onEvent` observer: one stable, token-free event schema over every lifecycle hook.
 *
 * @module
 */
import { emit, type SessionEndReason, type SessionEvents } from './events.js'

/** Fields every {@link OidcSessionEvent} has. */
export interface OidcSessionEventBase {
  /** Milliseconds since the epoch (the manager's clock, `now`). */
  time: number
}

/**
 * Everything `onEvent` receives. A stable schema: fields are only ever added. No event carries a
 * token, a cookie value, a secret or a ticket: only identifiers (`sessionId` is the session's own
 * random id, never its cookie), reasons and sizes.
 *
 * - `login`: a login completed (`acr` when the provider said; `silent` for `prompt=none`);
 * - `silent-login-failed`: a `prompt=none` login came back without a session (`error`: the
 *   provider's, such as `login_required`);
 * - `refresh`: tokens were refreshed — `source` `provider` (this request's token call), `shared`
 *   (joined an in-process token call in flight), `cache` (the recent-result cache, possibly filled
 *   by another process);
 * - `refresh-error`: a refresh failed (`transient`: the session was kept);
 * - `session-ended`: a session ended, with its `reason`;
 * - `session-too-large`: a session did not fit the cookie budget;
 * - `logout`: a user logged out (RP-initiated);
 * - `backchannel-logout`: the provider ended sessions (`sessions`: how many a stateful store
 *   destroyed; cookie sessions are ended through the revocation list and not counted);
 * - `cookie-written`: the cookie store wrote a session: `chunks` cookies, `bytes` of `Cookie`
 *   header in total.
 */
export type OidcSessionEvent =
  | (OidcSessionEventBase & {
      type: 'login'
      sessionId: string
      sub: string
      sid?: string
      acr?: string
      silent?: boolean
    })
  | (OidcSessionEventBase & { type: 'silent-login-failed'; error: string })
  | (OidcSessionEventBase & {
      type: 'refresh'
      sessionId: string
      sub: string
      source: 'provider' | 'shared' | 'cache'
    })
  | (OidcSessionEventBase & {
      type: 'refresh-error'
      sessionId: string
      sub: string
      code: string
      transient: boolean
    })
  | (OidcSessionEventBase & {
      type: 'session-ended'
      sessionId: string
      sub: string
      reason: SessionEndReason
    })
  | (OidcSessionEventBase & {
      type: 'session-too-large'
      sessionId: string
      sub: string
      code: string
    })
  | (OidcSessionEventBase & { type: 'logout'; sessionId: string; sub: string })
  | (OidcSessionEventBase & {
      type: 'backchannel-logout'
      sub?: string
      sid?: string
      sessions: number
    })
  | (OidcSessionEventBase & {
      type: 'cookie-written'
      sessionId: string
      sub: string
      chunks: number
      bytes: number
    })

/** The `type` of each {@link SessionEvents} hook. */
const TYPES = {
  login: 'login',
  silentLoginFailed: 'silent-login-failed',
  refresh: 'refresh',
  refreshError: 'refresh-error',
  sessionEnded: 'session-ended',
  sessionTooLarge: 'session-too-large',
  logout: 'logout',
  backchannelLogout: 'backchannel-logout',
  cookieWritten: 'cookie-written',
} as const satisfies Record<keyof SessionEvents, OidcSessionEvent['type']>

/**
 * The hooks the manager calls: the application's `events`, and each one also as an
 * {@link OidcSessionEvent} to `onEvent`. Payloads are copied field by field from the hooks' own,
 * which never hold a token.
 *
 * @param events the application's hooks
 * @param onEvent the observer, if any
 * @param now time source, milliseconds
 * @returns the hooks to emit on
 * @example
 * ```ts
 * const hooks = observe(config.events, config.onEvent, config.now)
 * emit(hooks, 'logout', { sessionId, sub })
 * ```
 */
export function observe(
  events: SessionEvents,
  onEvent: ((event: OidcSessionEvent) => void) | undefined,
  now: () => number,
): SessionEvents {
  if (!onEvent) return events
  const hooks: Record<string, (payload: object) => void> = {}
  for (const [name, type] of Object.entries(TYPES) as [keyof SessionEvents, string][]) {
    hooks[name] = (payload: object) => {
      emit(events, name, payload as never)
      try {
        onEvent({ type, time: now(), ...payload } as OidcSessionEvent)
      } catch {
        // observers never break a request
      }
    }
  }
  return hooks as SessionEvents
}
