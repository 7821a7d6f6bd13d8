/**
 * Access tokens per resource (RFC 8707), obtained with the session's one refresh token and cached
 * in the session with their own expiry; and the forced refresh of a token an API refused.
 *
 * @module
 */
import {
  CookieTooLargeError,
  OidcSessionError,
  RefreshRejectedError,
  SessionRequiredError,
  StoreUnavailableError,
} from '../errors.js'
import { BoundedMap } from '../lib/bounded-map.js'
import { isRevoked, type RevocationList } from '../logout/revocation-list.js'
import type { DpopKey } from '../oidc/dpop.js'
import type { RefreshOutcome, RefreshScheduler } from '../refresh/scheduler.js'
import type { SessionStore, StoreContext } from '../stores/types.js'
import { tokenState, type TokenStateOptions } from '../tokens/lifecycle.js'
import { emit, type SessionEvents } from './events.js'
import type { ResourceToken, Session } from './session.js'

/** What {@link createResourceTokens} needs. */
export interface ResourceTokensDeps {
  store: SessionStore
  scheduler: RefreshScheduler
  revocationList: RevocationList
  lifecycle: TokenStateOptions
  /** Most per-resource tokens kept in one session. */
  maxPerSession: number
  /** `resource` (RFC 8707) or `audience`. */
  parameter: 'resource' | 'audience'
  /** The resource of the session's own token (its token is that resource's). */
  defaultResource: string | undefined
  /** The session's DPoP key, if it has one. */
  dpopKey(session: Session): Promise<DpopKey | undefined>
  events: SessionEvents
  logger: { warn(message: string): void }
}

/** A token to present, and what it is for. */
export interface PresentableToken {
  accessToken: string
  /** `bearer` or `dpop` (lower-case as `oauth4webapi` reports it), or as the provider said. */
  tokenType: string
  expiresAt: number | undefined
  /** The resource the token is for; `undefined` for the session's own token without a default resource. */
  resource: string | undefined
}

/** Options of {@link ResourceTokens.token}. */
export interface ResourceTokenOptions {
  /**
   * Refresh even though the token looks fresh: an API refused it (`invalid_token`). Nothing is
   * refreshed when the token in hand already differs from `rejected` (another request refreshed it).
   */
  force?: boolean
  /** The access token the API refused (with `force`). */
  rejected?: string
  /** Keeps a refresh started here alive past the request (see `RequestOptions.waitUntil`). */
  waitUntil?: ((promise: Promise<unknown>) => void) | undefined
}

/** Result of {@link ResourceTokens.token}. */
export interface ResourceTokenResult {
  session: Session
  token: PresentableToken
  /** `true` when this call obtained a new token (refresh, or a recent refresh reused). */
  refreshed: boolean
  /** A failure that did not cost the token (the session could not be written back). */
  warning?: OidcSessionError
}

/** Tokens per resource for loaded sessions. */
export interface ResourceTokens {
  /**
   * The access token of `session` for `resource` (`undefined`: the session's own token, which
   * `authenticate` keeps fresh): the cached one while it is fresh, otherwise one obtained with the
   * refresh token (single-flight per grant and resource, in process and across processes) and
   * saved in the session.
   *
   * @param ctx the request's store context (the cookies written go to its jar)
   * @param session a session `authenticate` returned
   * @param resource the resource indicator (or audience)
   * @param options see {@link ResourceTokenOptions}
   * @returns the token and the (possibly updated) session
   * @throws {@link SessionRequiredError} (`refresh-rejected`, `revoked`, `unrefreshable`, …) when
   *   the grant is over; `RefreshRefusedError` when the provider refuses this resource
   *   (`invalid_target`…); transient errors as thrown
   */
  token(
    ctx: StoreContext,
    session: Session,
    resource: string | undefined,
    options?: ResourceTokenOptions,
  ): Promise<ResourceTokenResult>

  /**
   * Just before a response that writes a refreshed cookie session leaves (a slow upstream may have
   * answered long after the refresh): when another request of the same grant has rotated the
   * refresh token since, write the newest one instead, so that the browser's last cookie never
   * holds a superseded refresh token. Stateful stores hold the newest already: nothing to do.
   * Best effort; never throws.
   *
   * @param ctx the request's store context
   * @param session the session this request wrote
   * @returns the session as now written
   */
  settle(ctx: StoreContext, session: Session): Promise<Session>
}

/** Most rotations followed from a refresh token to the newest one. */
const MAX_CHAIN = 8

/** The token of `session` for `resource`, if it has one. */
function cachedToken(session: Session, resource: string): ResourceToken | undefined {
  return session.resourceTokens?.find((entry) => entry.resource === resource)
}

/**
 * Create {@link ResourceTokens}.
 *
 * Every token call goes through the refresh scheduler with the session's refresh token: for a
 * resource, with `resource=<indicator>` (or `audience`); forced, without. A provider that rotates
 * refresh tokens gets each refresh token once: the scheduler serializes the refreshes of a grant
 * and follows the successor a refresh leaves behind. The session then keeps the new refresh token
 * (and id_token), its own access token unchanged, and the resource's token, at most
 * `maxPerSession` of them (expired ones dropped first, then the oldest).
 *
 * @param deps see {@link ResourceTokensDeps}
 * @returns the {@link ResourceTokens}
 * @example
 * ```ts
 * const tokens = createResourceTokens(deps)
 * const { token } = await tokens.token(ctx, session, 'https://api.example')
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2
 */
export function createResourceTokens(deps: ResourceTokensDeps): ResourceTokens {
  const { store, scheduler, events } = deps
  const reportedOversize = new BoundedMap<string, true>(1_000)

  const own = (session: Session): PresentableToken => ({
    accessToken: session.tokens.accessToken,
    tokenType: session.tokens.tokenType,
    expiresAt: session.tokens.expiresAt,
    resource: deps.defaultResource,
  })
  const presentable = (entry: ResourceToken): PresentableToken => ({
    accessToken: entry.accessToken,
    tokenType: entry.tokenType,
    expiresAt: entry.expiresAt,
    resource: entry.resource,
  })

  /** `tokens` with this resource's entry replaced, expired ones dropped, at most `max` kept. */
  function withEntry(
    list: readonly ResourceToken[] | undefined,
    entry: ResourceToken,
    now: number,
  ): ResourceToken[] {
    const kept = (list ?? []).filter(
      (t) => t.resource !== entry.resource && (t.expiresAt === undefined || t.expiresAt > now),
    )
    kept.push(entry)
    return kept.slice(Math.max(0, kept.length - deps.maxPerSession))
  }

  /**
   * The newest refresh token (and id_token) of the grant of `tokens`: follow the rotations other
   * refreshes recorded in the recent-result cache (the session's own refreshes and the successor
   * records of resource refreshes).
   */
  async function newest(
    tokens: Session['tokens'],
  ): Promise<Pick<Session['tokens'], 'refreshToken' | 'idToken'>> {
    let refreshToken = tokens.refreshToken
    let idToken = tokens.idToken
    const seen = new Set<string>()
    for (let i = 0; refreshToken !== undefined && i < MAX_CHAIN && !seen.has(refreshToken); i++) {
      seen.add(refreshToken)
      const next = await scheduler.recent(refreshToken)
      if (next?.refreshToken === undefined || next.refreshToken === refreshToken) break
      refreshToken = next.refreshToken
      if (next.idToken !== undefined) idToken = next.idToken
    }
    return {
      ...(refreshToken !== undefined ? { refreshToken } : {}),
      ...(idToken !== undefined ? { idToken } : {}),
    }
  }

  async function refresh(
    ctx: StoreContext,
    session: Session,
    parameters: Record<string, string> | undefined,
    reject: string | undefined,
    waitUntil: ResourceTokenOptions['waitUntil'],
  ): Promise<RefreshOutcome> {
    try {
      return await scheduler.refresh(session.tokens, parameters, {
        dpop: await deps.dpopKey(session),
        reject,
        waitUntil,
      })
    } catch (error) {
      const typed =
        error instanceof OidcSessionError
          ? error
          : new StoreUnavailableError('the refresh lock or result cache failed', { cause: error })
      emit(events, 'refreshError', {
        sessionId: session.id,
        sub: session.sub,
        code: typed.code,
        transient: typed.transient,
      })
      if (typed instanceof RefreshRejectedError) {
        await store.destroy(ctx, session).catch(() => undefined)
        emit(events, 'sessionEnded', {
          sessionId: session.id,
          sub: session.sub,
          reason: 'refresh-rejected',
        })
        throw new SessionRequiredError('refresh-rejected', { cause: typed })
      }
      throw typed
    }
  }

  /**
   * Save `session` after `apply`ing the refresh to it; on a lost compare-and-set, re-load and
   * apply again to the stored session (`apply` keeps what is newer there). Ended meanwhile: never
   * written back.
   */
  async function persist(
    ctx: StoreContext,
    session: Session,
    apply: (target: Session) => Promise<boolean>,
  ): Promise<{ session: Session; warning?: OidcSessionError }> {
    let revoked: boolean
    try {
      revoked = await isRevoked(deps.revocationList, session)
    } catch (error) {
      return {
        session,
        warning: new StoreUnavailableError('the revocation list failed', { cause: error }),
      }
    }
    if (revoked) {
      await store.destroy(ctx, session).catch(() => undefined)
      throw new SessionRequiredError('revoked')
    }
    let current = session
    await apply(current)
    try {
      for (let attempt = 0; !(await store.save(ctx, current)); attempt++) {
        const again = await store.load(ctx)
        if (!again.session) throw new SessionRequiredError(again.reason)
        current = again.session
        if (!(await apply(current)) || attempt >= 2) break
      }
    } catch (error) {
      if (error instanceof SessionRequiredError) throw error
      if (error instanceof CookieTooLargeError) {
        if (!reportedOversize.has(session.id)) {
          reportedOversize.set(session.id, true)
          deps.logger.warn(`oidc-session: ${error.message}`)
          emit(events, 'sessionTooLarge', {
            sessionId: session.id,
            sub: session.sub,
            code: error.code,
          })
        }
        return { session: current, warning: error }
      }
      const typed =
        error instanceof OidcSessionError
          ? error
          : new StoreUnavailableError('saving the session failed', { cause: error })
      return { session: current, warning: typed }
    }
    return { session: current }
  }

  async function token(
    ctx: StoreContext,
    session: Session,
    resource: string | undefined,
    options: ResourceTokenOptions = {},
  ): Promise<ResourceTokenResult> {
    const now = ctx.now
    const ids = { sessionId: session.id, sub: session.sub }
    const consumed = session.tokens.refreshToken

    if (resource === undefined || resource === deps.defaultResource) {
      if (!options.force || session.tokens.accessToken !== options.rejected)
        return { session, token: own(session), refreshed: false }
      if (consumed === undefined) throw new SessionRequiredError('unrefreshable')
      const outcome = await refresh(ctx, session, undefined, options.rejected, options.waitUntil)
      if (outcome.tokens.accessToken === options.rejected)
        return { session, token: own(session), refreshed: false }
      const saved = await persist(ctx, session, async (target) => {
        if (target.tokens.refreshToken === consumed) {
          // Ours, continuing from the newest refresh token of the grant.
          target.tokens = { ...outcome.tokens, ...(await newest(outcome.tokens)) }
          return true
        }
        // The stored session differs: ours only if its refresh token leads to ours.
        const latest = await newest(target.tokens)
        if (latest.refreshToken !== outcome.tokens.refreshToken) return false
        target.tokens = { ...outcome.tokens }
        return true
      })
      emit(events, 'refresh', { ...ids, source: outcome.source })
      return { ...saved, token: own(saved.session), refreshed: true }
    }

    const cached = cachedToken(session, resource)
    const state = cached
      ? tokenState({ ...cached, refreshToken: consumed ?? '' }, now, deps.lifecycle)
      : 'expired'
    const refused = options.force === true && cached?.accessToken === options.rejected
    if (cached && state === 'fresh' && !refused)
      return { session, token: presentable(cached), refreshed: false }
    if (consumed === undefined) {
      if (cached && state !== 'unrefreshable' && !refused)
        return { session, token: presentable(cached), refreshed: false }
      throw new SessionRequiredError('unrefreshable')
    }
    let outcome: RefreshOutcome
    try {
      outcome = await refresh(
        ctx,
        session,
        { [deps.parameter]: resource },
        refused ? options.rejected : undefined,
        options.waitUntil,
      )
    } catch (error) {
      // Still valid (due): serve it; the failure is remembered per grant and resource.
      if (
        cached &&
        state === 'due' &&
        !refused &&
        error instanceof OidcSessionError &&
        error.transient
      )
        return { session, token: presentable(cached), refreshed: false, warning: error }
      throw error
    }
    const next = outcome.tokens
    const entry: ResourceToken = {
      resource,
      accessToken: next.accessToken,
      tokenType: next.tokenType,
      ...(next.expiresAt !== undefined ? { expiresAt: next.expiresAt } : {}),
      ...(next.issuedAt !== undefined ? { issuedAt: next.issuedAt } : {}),
    }
    const saved = await persist(ctx, session, async (target) => {
      let changed = false
      // One refresh token serves every resource: the session continues from the newest one of
      // its grant (this refresh's, or a later one recorded by another request meanwhile).
      const latest = await newest(target.tokens)
      if (latest.refreshToken !== target.tokens.refreshToken) {
        target.tokens = { ...target.tokens, ...latest }
        changed = true
      }
      if (cachedToken(target, resource)?.accessToken !== entry.accessToken) {
        target.resourceTokens = withEntry(target.resourceTokens, entry, now)
        changed = true
      }
      return changed
    })
    emit(events, 'refresh', { ...ids, source: outcome.source })
    return { ...saved, token: presentable(entry), refreshed: true }
  }

  async function settle(ctx: StoreContext, session: Session): Promise<Session> {
    if (store.stateful || session.tokens.refreshToken === undefined) return session
    try {
      const latest = await newest(session.tokens)
      if (latest.refreshToken === session.tokens.refreshToken) return session
      const next: Session = { ...session, tokens: { ...session.tokens, ...latest } }
      await store.save(ctx, next)
      return next
    } catch {
      return session
    }
  }

  return { token, settle }
}
