/**
 * Session control: a user's sessions listed, one of them ended, all of them ended (sign out
 * everywhere), and the same by `sub` for back offices.
 *
 * @module
 */
import { invalidArg, SessionRequiredError } from '../errors.js'
import type { RevocationList } from '../logout/revocation-list.js'
import { revokeToken } from '../oidc/end-session.js'
import type { ProviderContext } from '../oidc/provider.js'
import { isListingStore, type SessionStore, type StoreContext } from '../stores/types.js'
import type { Sealer } from './codec.js'
import { emit, type SessionEvents } from './events.js'
import type { Session } from './session.js'
import type { AuthResult, SessionAdmin, SessionSummary } from './types.js'

/** What {@link createSessionControl} needs. */
export interface SessionControlDeps {
  store: SessionStore
  context: ProviderContext
  revocationList: RevocationList
  /** How long a revocation is kept: the longest a session can live, plus the clock tolerance. */
  revocationTtlSeconds: number
  revocationTimeoutMs: number
  /** Seals the refresh token kept beside a listed session (`StoreContext.escrow`). */
  escrow: Sealer
  events: SessionEvents
  /** Seconds since the epoch. */
  now: () => number
  /** Authenticate a request's store context (refreshing when due). */
  authenticate(ctx: StoreContext): Promise<AuthResult>
  /** End the request's own session (destroy, expire its cookies, report it). */
  endOwn(ctx: StoreContext, session: Session, reason: 'ended-remotely'): Promise<void>
}

/** The session-control methods of the manager. */
export interface SessionControl {
  sessions(ctx: StoreContext): Promise<SessionSummary[]>
  endSession(ctx: StoreContext, id: string): Promise<boolean>
  endAllSessions(sub: string): Promise<number>
  admin: SessionAdmin
}

const nonEmpty = (value: unknown, name: string): string => {
  if (typeof value !== 'string' || value === '')
    throw invalidArg(`"${name}" must be a non-empty string`, 'ERR_INVALID_ARG_TYPE')
  return value
}

/**
 * Create the session-control methods. Listing and ending other sessions need a
 * {@link ListingSessionStore} (memory, Redis); the refresh tokens of the sessions it ends are
 * revoked from the sealed copy (`escrow`) the manager keeps beside each summary. Ending all
 * sessions of a user also goes through the revocation list (kind `sub`), which is what ends cookie
 * sessions, in every instance sharing the list.
 *
 * @param deps see {@link SessionControlDeps}
 * @returns the {@link SessionControl}
 * @example
 * ```ts
 * const control = createSessionControl(deps)
 * await control.endAllSessions('alice')
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7009 (token revocation)
 */
export function createSessionControl(deps: SessionControlDeps): SessionControl {
  const { store, events } = deps

  async function own(ctx: StoreContext): Promise<Session> {
    const result = await deps.authenticate(ctx)
    if (result.ok) return result.session
    if (result.error?.transient) throw result.error
    throw new SessionRequiredError(
      result.reason,
      result.error ? { cause: result.error } : undefined,
    )
  }

  /** Revoke the refresh token sealed in `escrow` (best effort: the session is ended anyway). */
  async function revokeEscrow(escrow: string | undefined): Promise<void> {
    if (escrow === undefined) return
    try {
      const { value } = await deps.escrow.unseal(escrow, deps.now())
      const token = (value as { r?: unknown } | null)?.r
      if (typeof token === 'string')
        await revokeToken(deps.context, token, 'refresh_token', deps.revocationTimeoutMs)
    } catch {
      // expired or unreadable: nothing to revoke
    }
  }

  async function list(sub: string, currentId?: string): Promise<SessionSummary[]> {
    if (!isListingStore(store)) return []
    const found = await store.listBySub(sub, deps.now())
    return found
      .map(({ id, createdAt, lastSeenAt, expiresAt, userAgent }) => ({
        id,
        createdAt,
        lastSeenAt: lastSeenAt ?? createdAt,
        expiresAt,
        ...(userAgent !== undefined ? { userAgent } : {}),
        current: id === currentId,
      }))
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt)
  }

  /** End the listed session `id` of `sub`; `true` when a live one was ended. */
  async function endListed(sub: string, id: string): Promise<boolean> {
    if (!isListingStore(store)) return false
    const found = (await store.listBySub(sub, deps.now())).find((entry) => entry.id === id)
    if (!found) return false
    const ended = await store.destroyHandle(found.handle, deps.now())
    if (!ended) return false
    await revokeEscrow(found.escrow)
    emit(events, 'sessionEnded', { sessionId: id, sub, reason: 'ended-remotely' })
    return true
  }

  async function endAllSessions(sub: string): Promise<number> {
    nonEmpty(sub, 'sub')
    const now = deps.now()
    // First the list: from here on no session of `sub` created so far is served, in any instance.
    await deps.revocationList.add(
      { kind: 'sub', value: sub, notBefore: now },
      deps.revocationTtlSeconds,
    )
    if (!isListingStore(store)) return 0
    const found = await store.listBySub(sub, now)
    await store.destroyBySub(sub, now)
    await Promise.all(found.map((entry) => revokeEscrow(entry.escrow)))
    for (const entry of found)
      emit(events, 'sessionEnded', { sessionId: entry.id, sub, reason: 'ended-everywhere' })
    return found.length
  }

  return {
    async sessions(ctx) {
      const session = await own(ctx)
      if (!isListingStore(store)) {
        return [
          {
            id: session.id,
            createdAt: session.createdAt,
            lastSeenAt: session.lastSeenAt ?? session.createdAt,
            expiresAt: session.expiresAt,
            ...(session.userAgent !== undefined ? { userAgent: session.userAgent } : {}),
            current: true,
          },
        ]
      }
      return list(session.sub, session.id)
    },
    async endSession(ctx, id) {
      nonEmpty(id, 'id')
      const session = await own(ctx)
      if (id === session.id) {
        await deps.endOwn(ctx, session, 'ended-remotely')
        return true
      }
      return endListed(session.sub, id)
    },
    endAllSessions,
    admin: Object.freeze({
      sessions: (sub: string) => list(nonEmpty(sub, 'sub')),
      endSession: (sub: string, id: string) => endListed(nonEmpty(sub, 'sub'), nonEmpty(id, 'id')),
      endAllSessions,
    }),
  }
}
