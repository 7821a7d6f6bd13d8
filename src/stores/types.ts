/**
 * The `SessionStore` contract shared by every store, and its stateful extension used by
 * back-channel logout.
 *
 * @module
 */
import type { SessionFailure } from '../errors.js'
import type { CookieAttributes, CookieJar } from '../request/cookie-jar.js'
import type { Session } from '../session/session.js'

/** What a store gets for one request. */
export interface StoreContext {
  /** The request's cookies in, `Set-Cookie` lines out. */
  readonly jar: CookieJar
  /** The session cookie's full name (prefix included) and attributes, without `maxAge`. */
  readonly cookie: { readonly name: string; readonly attributes: CookieAttributes }
  /** Seconds since the epoch. */
  readonly now: number
  /**
   * Called by a store that wrote the session into cookies: how many cookies (chunks) and how many
   * bytes of `Cookie` header they take (observability: the `cookie-written` event). Optional.
   */
  readonly written?: (info: { session: Session; chunks: number; bytes: number }) => void
  /**
   * For a {@link ListingSessionStore}'s `save`: an opaque string to keep beside the session's
   * summary and hand back from `listBySub` (the manager puts the session's refresh token there,
   * sealed under the application's secrets, so that ending a session without its cookie can
   * revoke it at the provider). Optional; other stores ignore it.
   */
  readonly escrow?: string
}

/**
 * Why a load found no session (a part of the library's one vocabulary, {@link SessionFailure}):
 * `none` (no cookie), `tampered` (does not open, or garbage stored), `incomplete` (chunks missing,
 * extra or out of order), `expired` (past the absolute lifetime or idle timeout, or unknown to a
 * stateful store), `revoked` (a tombstone: ended by logout or back-channel logout).
 */
export type LoadFailure = Extract<
  SessionFailure,
  'none' | 'tampered' | 'incomplete' | 'expired' | 'revoked'
>

/** Outcome of {@link SessionStore.load}. */
export type LoadResult =
  | {
      session: Session
      reason?: undefined
      /** sealed under a previous key: save it again */ stale?: boolean
    }
  | { session: null; reason: LoadFailure }

/**
 * Where sessions live.
 *
 * **Units.** Times (`StoreContext.now`, `Session.expiresAt`) are seconds since the epoch;
 * lifetimes and TTLs are seconds. A session is never served at or past `expiresAt`.
 *
 * **`load`** never throws for bad input: a missing, garbage, forged, foreign or unknown cookie,
 * and garbage in the backing service, give a {@link LoadFailure}. It throws only
 * `StoreUnavailableError` (`ERR_STORE_UNAVAILABLE`, transient) when a backing service cannot be
 * reached within its timeout; then nothing was changed or deleted.
 *
 * **`save`** writes the whole session and sets the cookies that point to it. A session object the
 * store did not load (a new login) always gets a new cookie value — for stateful stores a new,
 * unguessable ticket — so a ticket planted before login is never adopted (no session fixation).
 * Stateful stores write with compare-and-set, atomically: the write succeeds only if the stored
 * `version` is the one the session was loaded with (`session.version`), and then stores
 * `version + 1`; the caller's object is updated to the new version. A lost race, a destroyed
 * session (tombstone) or a session that is gone returns `false` and writes nothing — it never
 * throws for that. Stateless stores (cookies) always return `true`.
 *
 * **`destroy`** is idempotent: destroying twice, destroying an unknown session, or destroying with
 * no cookie at all is not an error. It expires the cookies the request carried. Stateful stores
 * leave a tombstone, so a request that loaded the session before the destroy cannot write it back
 * (its `save` returns `false`) and a later `load` with the old cookie answers `revoked` while the
 * tombstone lives (`expired` after).
 */
export interface SessionStore {
  /** `true` when the cookie holds only a ticket and the session lives server-side. */
  readonly stateful: boolean
  /**
   * `false` for a stateful store only this process sees (the memory store). Default (absent):
   * shared by every process that serves the sessions.
   */
  readonly shared?: boolean
  /**
   * Load the request's session.
   * @param context the request's cookies and the current time
   * @returns the session, or why there is none
   * @throws StoreUnavailableError `ERR_STORE_UNAVAILABLE` when the backing service is unreachable
   */
  load(context: StoreContext): Promise<LoadResult>
  /**
   * Write the session (compare-and-set on `version` for stateful stores).
   * @param context where the cookies are set
   * @param session the session; its `version` is bumped on success
   * @returns `false` when a compare-and-set lost (a newer version, a tombstone, or nothing is stored)
   * @throws StoreUnavailableError `ERR_STORE_UNAVAILABLE` when the backing service is unreachable
   */
  save(context: StoreContext, session: Session): Promise<boolean>
  /**
   * End the session (idempotent; stateful stores leave a tombstone) and expire its cookies.
   * @param context the request's cookies (the ticket is read from them when `session` is `null`)
   * @param session the loaded session, when there is one
   * @throws StoreUnavailableError `ERR_STORE_UNAVAILABLE` when the backing service is unreachable
   */
  destroy(context: StoreContext, session: Session | null): Promise<void>
}

/**
 * A store that keeps sessions server-side and can find and end them without the user's cookie,
 * for OpenID Connect Back-Channel Logout (by `sub` and by `sid`).
 *
 * Handles returned by `findBy*` are opaque strings naming a session inside the store: never send
 * them to a browser (the Redis store's handles cannot open a session, the memory store's are its
 * tickets). `destroyBy*` reaches every session whose first save completed before it started.
 *
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#Validation (§2.7: the RP
 *   logs out the sessions matching `sub` and/or `sid`)
 */
export interface StatefulSessionStore extends SessionStore {
  readonly stateful: true
  /**
   * Handles of the live sessions of the user `sub`.
   * @throws StoreUnavailableError `ERR_STORE_UNAVAILABLE` when the backing service is unreachable
   */
  findBySub(sub: string): Promise<string[]>
  /**
   * Handles of the live sessions with the provider session id `sid`.
   * @throws StoreUnavailableError `ERR_STORE_UNAVAILABLE` when the backing service is unreachable
   */
  findBySid(sid: string): Promise<string[]>
  /**
   * Destroy every session of `sub`, each leaving a tombstone (idempotent).
   * @param now seconds since the epoch
   * @returns how many live sessions were destroyed
   * @throws StoreUnavailableError `ERR_STORE_UNAVAILABLE` when the backing service is unreachable
   */
  destroyBySub(sub: string, now: number): Promise<number>
  /**
   * Destroy every session with provider session id `sid`, each leaving a tombstone (idempotent).
   * @param now seconds since the epoch
   * @returns how many live sessions were destroyed
   * @throws StoreUnavailableError `ERR_STORE_UNAVAILABLE` when the backing service is unreachable
   */
  destroyBySid(sid: string, now: number): Promise<number>
}

/** What a {@link ListingSessionStore} knows of one live session without opening it. */
export interface StoredSessionSummary {
  /** Names the session inside the store (never send it to a browser). */
  handle: string
  /** The session's own id (`Session.id`). */
  id: string
  /** Seconds since the epoch. */
  createdAt: number
  /** Last recorded activity (`Session.lastSeenAt`), when there is one. */
  lastSeenAt?: number
  /** Absolute expiry, seconds since the epoch. */
  expiresAt: number
  /** `Session.userAgent`, when kept. */
  userAgent?: string
  /** What `StoreContext.escrow` held at the session's last save. */
  escrow?: string
}

/**
 * A stateful store that can list a user's sessions and end one of them without its cookie
 * (session listing, sign-out everywhere, an administrator's back office).
 */
export interface ListingSessionStore extends StatefulSessionStore {
  /**
   * Summaries of the live sessions of `sub` (tombstones and expired sessions left out).
   * @throws StoreUnavailableError `ERR_STORE_UNAVAILABLE` when the backing service is unreachable
   */
  listBySub(sub: string, now: number): Promise<StoredSessionSummary[]>
  /**
   * Destroy one session by handle, leaving a tombstone (idempotent).
   * @returns `true` when a live session was destroyed
   * @throws StoreUnavailableError `ERR_STORE_UNAVAILABLE` when the backing service is unreachable
   */
  destroyHandle(handle: string, now: number): Promise<boolean>
}

/**
 * `true` when `store` can list sessions by `sub` ({@link ListingSessionStore}).
 *
 * @param store any session store
 * @returns whether `listBySub` / `destroyHandle` are available
 * @example
 * ```ts
 * if (isListingStore(auth.store)) console.log(await auth.store.listBySub('alice', now))
 * ```
 */
export function isListingStore(store: SessionStore): store is ListingSessionStore {
  const s = store as Partial<ListingSessionStore>
  return (
    isStatefulStore(store) &&
    typeof s.listBySub === 'function' &&
    typeof s.destroyHandle === 'function'
  )
}

/**
 * `true` when `store` supports back-channel logout lookups ({@link StatefulSessionStore}).
 *
 * @param store any session store
 * @returns whether `findBySub`/`findBySid`/`destroyBySub`/`destroyBySid` are available
 * @example
 * ```ts
 * if (isStatefulStore(auth.store)) await auth.store.destroyBySid(sid, now)
 * ```
 */
export function isStatefulStore(store: SessionStore): store is StatefulSessionStore {
  const s = store as Partial<StatefulSessionStore>
  return (
    store.stateful &&
    typeof s.findBySub === 'function' &&
    typeof s.findBySid === 'function' &&
    typeof s.destroyBySub === 'function' &&
    typeof s.destroyBySid === 'function'
  )
}
