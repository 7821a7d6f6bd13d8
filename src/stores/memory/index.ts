/**
 * An in-process stateful store, for development and tests. Sessions vanish with the process and
 * are not shared between processes: use `oidc-session/redis` in production.
 *
 * @module
 */
import { BoundedMap } from '../../lib/bounded-map.js'
import { randomId } from '../../lib/random.js'
import { decodeSession, encodeSession, type Session } from '../../session/session.js'
import type {
  ListingSessionStore,
  LoadResult,
  StoreContext,
  StoredSessionSummary,
} from '../types.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Most sessions kept; the oldest are dropped past it. Default 10 000. */
  maxSessions?: number
  /** How long a tombstone outlives a destroyed session, in seconds. Default 3 600. */
  tombstoneSeconds?: number
}

/** A memory store, with the lookups used by back-channel logout (handles are tickets). */
export interface MemoryStore extends ListingSessionStore {
  /** Destroy by ticket (leaves a tombstone). */
  destroyTicket(ticket: string, now: number): void
  /** Number of live sessions. */
  readonly size: number
}

interface Entry {
  wire: ReturnType<typeof encodeSession> | null
  /** absolute expiry (session) or tombstone expiry, seconds */
  until: number
  /** `StoreContext.escrow` of the last save. */
  escrow?: string
}

const TICKET = /^[A-Za-z0-9_-]{43}$/

/**
 * Create an in-memory stateful store: the cookie holds an unguessable ticket, the session stays
 * in this process. Saves are compare-and-set on `version`; destroy leaves a tombstone.
 *
 * @param options see {@link MemoryStoreOptions}
 * @returns a {@link MemoryStore}
 * @example
 * ```ts
 * const auth = createOidcSession({ ...options, store: memoryStore() })
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxSessions = options.maxSessions ?? 10_000
  const tombstoneSeconds = options.tombstoneSeconds ?? 3600
  // Bounded (oldest dropped first); each entry's own `until` is checked against the caller's clock.
  const entries = new BoundedMap<string, Entry>(maxSessions)

  const sweep = (now: number) => {
    for (const [ticket, entry] of entries.entries()) if (entry.until <= now) entries.delete(ticket)
  }
  const find = (predicate: (session: Session) => boolean) => {
    const found: string[] = []
    for (const [ticket, entry] of entries.entries()) {
      const session = entry.wire && decodeSession(entry.wire)
      if (session && predicate(session)) found.push(ticket)
    }
    return found
  }
  const ticketOf = (context: StoreContext) => {
    const value = context.jar.get(context.cookie.name)
    return value !== undefined && TICKET.test(value) ? value : undefined
  }
  // A session object → its ticket, so save() after load() writes where it was read.
  const tickets = new WeakMap<Session, string>()

  const store: MemoryStore = {
    stateful: true,
    shared: false,

    async load(context): Promise<LoadResult> {
      const raw = context.jar.get(context.cookie.name)
      if (raw === undefined || raw === '') return { session: null, reason: 'none' }
      const ticket = ticketOf(context)
      if (ticket === undefined) return { session: null, reason: 'tampered' }
      const entry = entries.get(ticket)
      if (!entry || entry.until <= context.now) return { session: null, reason: 'expired' }
      if (entry.wire === null) return { session: null, reason: 'revoked' }
      const session = decodeSession(structuredClone(entry.wire))
      if (!session) return { session: null, reason: 'tampered' }
      tickets.set(session, ticket)
      return { session }
    },

    async save(context, session) {
      let ticket = tickets.get(session)
      const existing = ticket === undefined ? undefined : entries.get(ticket)
      if (ticket === undefined) {
        ticket = randomId()
      } else if (!existing || existing.wire === null || existing.wire.v !== session.version) {
        return false
      }
      const next = { ...session, version: session.version + 1 }
      entries.set(ticket, {
        wire: encodeSession(next),
        until: next.expiresAt,
        ...(context.escrow !== undefined ? { escrow: context.escrow } : {}),
      })
      sweep(context.now)
      session.version = next.version
      tickets.set(session, ticket)
      context.jar.set(context.cookie.name, ticket, {
        ...context.cookie.attributes,
        maxAge: Math.max(0, next.expiresAt - context.now),
      })
      return true
    },

    async destroy(context, session) {
      const ticket = (session && tickets.get(session)) ?? ticketOf(context)
      if (ticket !== undefined) store.destroyTicket(ticket, context.now)
      if (context.jar.get(context.cookie.name) !== undefined)
        context.jar.expire(context.cookie.name, context.cookie.attributes)
    },

    findBySub: async (sub) => find((session) => session.sub === sub),
    findBySid: async (sid) => find((session) => session.sid === sid),
    async destroyBySub(sub, now) {
      const found = find((session) => session.sub === sub)
      for (const ticket of found) store.destroyTicket(ticket, now)
      return found.length
    },
    async destroyBySid(sid, now) {
      const found = find((session) => session.sid === sid)
      for (const ticket of found) store.destroyTicket(ticket, now)
      return found.length
    },
    async listBySub(sub, now) {
      const found: StoredSessionSummary[] = []
      for (const [ticket, entry] of entries.entries()) {
        const session = entry.wire && entry.until > now ? decodeSession(entry.wire) : null
        if (!session || session.sub !== sub) continue
        found.push({
          handle: ticket,
          id: session.id,
          createdAt: session.createdAt,
          expiresAt: session.expiresAt,
          ...(session.lastSeenAt !== undefined ? { lastSeenAt: session.lastSeenAt } : {}),
          ...(session.userAgent !== undefined ? { userAgent: session.userAgent } : {}),
          ...(entry.escrow !== undefined ? { escrow: entry.escrow } : {}),
        })
      }
      return found
    },
    async destroyHandle(handle, now) {
      const live = entries.get(handle)?.wire != null
      if (live) store.destroyTicket(handle, now)
      return live
    },
    destroyTicket(ticket, now) {
      entries.set(ticket, { wire: null, until: now + tombstoneSeconds })
    },
    get size() {
      let live = 0
      for (const [, entry] of entries.entries()) if (entry.wire) live++
      return live
    },
  }
  return store
}
