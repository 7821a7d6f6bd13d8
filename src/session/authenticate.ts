/**
 * One request's walk: load → revocation check → lifecycle → refresh (single-flight) → save.
 *
 * @module
 */
import {
  CookieTooLargeError,
  OidcSessionError,
  ProviderUnavailableError,
  RefreshRejectedError,
  StoreUnavailableError,
} from '../errors.js'
import { BoundedMap } from '../lib/bounded-map.js'
import { onWorkers } from '../lib/runtime.js'
import { isRevoked, type RevocationList } from '../logout/revocation-list.js'
import type { DpopKey } from '../oidc/dpop.js'
import { safeCause } from '../oidc/provider.js'
import type { RefreshOutcome, RefreshScheduler } from '../refresh/scheduler.js'
import type { SessionStore, StoreContext } from '../stores/types.js'
import { tokenState, type TokenStateOptions } from '../tokens/lifecycle.js'
import { emit, type SessionEndReason, type SessionEvents } from './events.js'
import type { Session } from './session.js'
import type { AuthenticateOptions, AuthResult } from './types.js'

/** What {@link createAuthenticator} needs. */
export interface AuthenticatorDeps {
  store: SessionStore
  scheduler: RefreshScheduler
  revocationList: RevocationList
  lifecycle: TokenStateOptions
  /** Refresh due stateful sessions in the background (`refresh.background`). */
  background: boolean
  /**
   * Whether the provider allows a background refresh at all: `false` where a refresh revokes the
   * access token it replaces (the provider profile's `backgroundRefresh`, Zitadel). Default: yes.
   */
  backgroundAllowed?: () => Promise<boolean>
  events: SessionEvents
  logger: { warn(message: string): void }
  /** The session's DPoP key (RFC 9449), for the proof on its refresh requests. */
  dpopKey?: (session: Session) => Promise<DpopKey | undefined>
  /**
   * Session lifetimes, seconds: absolute (from `createdAt`), idle (from `lastSeenAt`) and how
   * often activity is recorded. Default: only the stores' own absolute expiry.
   */
  lifetimes?: { absolute: number; idle: number | undefined; touchAfter: number }
}

/** The authenticate step and the session-ending helper shared with logout. */
export interface Authenticator {
  /** Load the session of `ctx`, refreshing it when due (see `OidcSession.authenticate`). */
  authenticate(ctx: StoreContext, options?: AuthenticateOptions): Promise<AuthResult>
  /** Destroy `session` in the store (expiring its cookies) and report it ended. */
  endSession(ctx: StoreContext, session: Session, reason: SessionEndReason): Promise<void>
}

type Failure = AuthResult & { ok: false }

/** Any failure of a store, lock, list or cache as a typed error. */
const storeError = (error: unknown, message: string): OidcSessionError =>
  error instanceof OidcSessionError ? error : new StoreUnavailableError(message, { cause: error })

/**
 * What the scheduler threw, typed: its own errors as they are; anything else (a runtime's error,
 * such as a promise a Workers runtime will never settle) is a transient refresh failure — never
 * a store outage.
 */
const refreshError = (error: unknown): OidcSessionError =>
  error instanceof OidcSessionError
    ? error
    : new ProviderUnavailableError('the refresh failed', { cause: safeCause(error) })

/** The `reason` for a refresh error that ends this request's session. */
function refreshFailure(error: OidcSessionError): Failure['reason'] {
  if (error instanceof RefreshRejectedError) return 'refresh-rejected'
  if (!error.transient) return 'refresh-failed'
  return error instanceof StoreUnavailableError ? 'store-unavailable' : 'provider-unavailable'
}

/**
 * Create the {@link Authenticator}.
 *
 * For one request: load the session (`StoreUnavailableError` → `store-unavailable`, nothing
 * deleted), refuse it when the revocation list covers it (logout, back-channel logout), classify
 * its tokens (`tokenState`: a session without a live refresh token ends as `unrefreshable` or,
 * when the provider said its refresh token expires and it has, `refresh-expired`, before any
 * token call), and when due or expired refresh them through the scheduler (one token call per
 * grant however many requests ask) and save the result (compare-and-set for stateful
 * stores: a lost race takes the stored, newer session). A refresh that completes after the session
 * was ended cannot write it back: the revocation list is read again before saving. A refreshed
 * session too large for the cookie store is still served (the recent-result cache serves it to the
 * next requests too) and reported once, as the configuration problem it is.
 *
 * @param deps see {@link AuthenticatorDeps}
 * @returns the {@link Authenticator}
 * @example
 * ```ts
 * const { authenticate } = createAuthenticator({ store, scheduler, revocationList, lifecycle, background: false, events: {}, logger: console })
 * const result = await authenticate(ctx)
 * ```
 */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const { store, scheduler, revocationList, events } = deps
  // Sessions whose oversize was reported already (report once, not on every request).
  const reportedOversize = new BoundedMap<string, true>(1_000)

  async function endSession(ctx: StoreContext, session: Session, reason: SessionEndReason) {
    await store.destroy(ctx, session)
    emit(events, 'sessionEnded', { sessionId: session.id, sub: session.sub, reason })
  }

  /** The failure for a session on the revocation list, else `undefined`. */
  async function revocationCheck(
    ctx: StoreContext,
    session: Session,
  ): Promise<Failure | undefined> {
    try {
      if (!(await isRevoked(revocationList, session))) return undefined
    } catch (error) {
      const typed = storeError(error, 'the revocation list failed')
      return {
        ok: false,
        session: null,
        headers: new Headers(),
        reason: 'store-unavailable',
        error: typed,
      }
    }
    await store.destroy(ctx, session).catch(() => undefined)
    return { ok: false, session: null, headers: new Headers(), reason: 'revoked' }
  }

  const lifetimes = deps.lifetimes
  /** The lifetime `session` is past at `now`, if any. */
  function lifetimeOver(
    session: Session,
    now: number,
  ): 'absolute-timeout' | 'idle-timeout' | undefined {
    if (!lifetimes) return undefined
    // From `createdAt` with the current setting: a shortened lifetime applies to existing sessions.
    if (now >= Math.min(session.expiresAt, session.createdAt + lifetimes.absolute))
      return 'absolute-timeout'
    if (lifetimes.idle !== undefined && now - lastSeen(session) >= lifetimes.idle)
      return 'idle-timeout'
    return undefined
  }
  const lastSeen = (session: Session) => session.lastSeenAt ?? session.createdAt
  /** Whether this request should record activity (idle lifetime on, last record old enough). */
  const dueForTouch = (session: Session, now: number) =>
    lifetimes?.idle !== undefined && now - lastSeen(session) >= lifetimes.touchAfter

  let warnedWaitUntil = false
  /**
   * `waitUntil` made safe to call: a throwing one (Workers' `ctx.waitUntil` passed unbound throws a
   * `TypeError`) is reported once and treated as absent, never as a failed refresh.
   */
  const guard = (
    waitUntil: AuthenticateOptions['waitUntil'],
  ): ((promise: Promise<unknown>) => void) | undefined =>
    waitUntil &&
    ((promise) => {
      try {
        waitUntil(promise)
      } catch {
        if (!warnedWaitUntil) {
          warnedWaitUntil = true
          deps.logger.warn(
            'oidc-session: the waitUntil option threw; pass a bound function, e.g. { waitUntil: (p) => ctx.waitUntil(p) }',
          )
        }
      }
    })

  async function authenticate(
    ctx: StoreContext,
    options: AuthenticateOptions = {},
  ): Promise<AuthResult> {
    const mayWrite = options.refresh !== false
    const headers = new Headers()
    const done = <T extends AuthResult>(result: T): T => {
      if (mayWrite) ctx.jar.applyTo(result.headers)
      return result
    }
    let loaded
    try {
      loaded = await store.load(ctx)
    } catch (error) {
      const typed = storeError(error, 'the session store failed')
      return done({ ok: false, session: null, headers, reason: 'store-unavailable', error: typed })
    }
    if (!loaded.session) {
      // A sealed cookie answers `expired` only past the absolute lifetime it was sealed with.
      const reason =
        loaded.reason === 'expired' && !store.stateful ? 'absolute-timeout' : loaded.reason
      return done({ ok: false, session: null, headers, reason })
    }
    const revoked = await revocationCheck(ctx, loaded.session)
    if (revoked) return done(revoked)
    const session = loaded.session
    const over = lifetimeOver(session, ctx.now)
    if (over) {
      if (mayWrite) await endSession(ctx, session, over).catch(() => undefined)
      return done({ ok: false, session: null, headers, reason: over })
    }
    const touch = mayWrite && dueForTouch(session, ctx.now)
    if (touch) session.lastSeenAt = ctx.now
    const state = tokenState(session.tokens, ctx.now, deps.lifecycle)
    if (state === 'unrefreshable' || state === 'refresh-expired') {
      // Over: no refresh token, or one past the expiry the provider announced (no token call).
      if (mayWrite) await endSession(ctx, session, state).catch(() => undefined)
      return done({ ok: false, session: null, headers, reason: state })
    }
    if (state === 'fresh' || (!mayWrite && state === 'due')) {
      // Sealed under a previous key: re-seal under the current one. Best effort: the session is
      // valid as loaded, and the next request tries again.
      // Activity is recorded the same way, at most once per `touchAfter`.
      if ((loaded.stale || touch) && mayWrite) await store.save(ctx, session).catch(() => false)
      return done({ ok: true, session, headers, reason: 'valid' })
    }
    if (!mayWrite) return { ok: false, session: null, headers, reason: 'refresh-required' }
    const waitUntil = guard(options.waitUntil)
    if (
      state === 'due' &&
      deps.background &&
      store.stateful &&
      (waitUntil || !onWorkers()) &&
      (await (deps.backgroundAllowed?.() ?? Promise.resolve(true)))
    ) {
      // Refresh ahead without blocking this request: the access token is still valid, and a
      // stateful store's cookie (a ticket) does not change when the session does. On Workers only
      // inside `waitUntil`: a detached promise dies with its request there.
      const background = refreshSession(ctx, session, state, new Headers(), waitUntil).catch(
        () => undefined,
      )
      waitUntil?.(background)
      // The caller gets its own copy: the background refresh updates the loaded one.
      const served: Session = { ...session, tokens: { ...session.tokens } }
      return done({ ok: true, session: served, headers, reason: 'refresh-deferred' })
    }
    // The whole step, the save included, outlives a cancelled request when `waitUntil` is given:
    // the rotated tokens must reach the store, not only the followers.
    const refreshing = refreshSession(ctx, session, state, headers, waitUntil)
    waitUntil?.(refreshing.catch(() => undefined))
    return done(await refreshing)
  }

  /**
   * Refresh `session` (single-flight; a recent refresh of the same token is reused) and save it.
   * On a lost compare-and-set, the stored (newer) session wins.
   */
  async function refreshSession(
    ctx: StoreContext,
    session: Session,
    state: 'due' | 'expired',
    headers: Headers,
    waitUntil: AuthenticateOptions['waitUntil'],
  ): Promise<AuthResult> {
    const ids = { sessionId: session.id, sub: session.sub }
    const consumed = session.tokens.refreshToken
    let outcome: RefreshOutcome
    try {
      outcome = await scheduler.refresh(session.tokens, undefined, {
        waitUntil,
        dpop: await deps.dpopKey?.(session),
      })
    } catch (error) {
      const typed = refreshError(error)
      emit(events, 'refreshError', { ...ids, code: typed.code, transient: typed.transient })
      if (typed instanceof RefreshRejectedError) {
        await endSession(ctx, session, 'refresh-rejected').catch(() => undefined)
        return { ok: false, session: null, headers, reason: 'refresh-rejected', error: typed }
      }
      // Still valid: serve it; the failure is remembered per grant (back-off or verdict).
      if (state === 'due')
        return { ok: true, session, headers, reason: 'refresh-deferred', warning: typed }
      return { ok: false, session: null, headers, reason: refreshFailure(typed), error: typed }
    }
    // Logged out while the refresh was in flight: never write the session back.
    const revoked = await revocationCheck(ctx, session)
    if (revoked) return { ...revoked, headers }
    let current = session
    current.tokens = outcome.tokens
    try {
      // A stateful store may have a newer version (another request saved first): take it, unless it
      // still holds the refresh token this refresh consumed, then write the new tokens over it.
      for (let attempt = 0; !(await store.save(ctx, current)); attempt++) {
        const again = await store.load(ctx)
        if (!again.session) return { ok: false, session: null, headers, reason: again.reason }
        current = again.session
        if (current.tokens.refreshToken !== consumed) break
        current.tokens = outcome.tokens
        if (attempt >= 2) break // serve the new tokens; the result cache covers the next request
      }
    } catch (error) {
      if (error instanceof CookieTooLargeError) {
        // A configuration problem, not an outage: serve the new tokens (the recent-result cache
        // keeps serving them to this cookie), say it once, and never answer 503 for it.
        if (!reportedOversize.has(session.id)) {
          reportedOversize.set(session.id, true)
          deps.logger.warn(`oidc-session: ${error.message}`)
          emit(events, 'sessionTooLarge', { ...ids, code: error.code })
        }
        emit(events, 'refresh', { ...ids, source: outcome.source })
        return { ok: true, session: current, headers, reason: 'refreshed', warning: error }
      }
      const typed = storeError(error, 'saving the refreshed session failed')
      emit(events, 'refreshError', { ...ids, code: typed.code, transient: typed.transient })
      return { ok: false, session: null, headers, reason: 'store-unavailable', error: typed }
    }
    emit(events, 'refresh', { ...ids, source: outcome.source })
    return { ok: true, session: current, headers, reason: 'refreshed' }
  }

  return { authenticate, endSession }
}
