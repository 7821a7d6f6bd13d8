/**
 * The `SessionStore` contract shared by every store.
 *
 * @module
 */
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
}

/** Why a load found no session. */
export type LoadFailure =
  /** no session cookie at all */
  | 'none'
  /** the cookie does not open: altered, foreign, sealed under an unknown key */
  | 'tampered'
  /** chunks missing, extra, or out of order */
  | 'incomplete'
  /** past the session's absolute lifetime (or unknown to a stateful store) */
  | 'expired'
  /** ended by logout or back-channel logout */
  | 'revoked'

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
 * - Times are seconds since the epoch; lifetimes are seconds.
 * - `load` never throws for bad input (it answers a {@link LoadFailure}); it throws
 *   `StoreUnavailableError` only when a backing service cannot be reached in time.
 * - `save` writes the whole session and sets the cookies that point to it. Stateful stores write
 *   with compare-and-set: the write succeeds only if the stored `version` is the one the session
 *   was loaded with (`session.version`), and then stores `version + 1`; the caller's object is
 *   updated to the new version. A lost race returns `false` and writes nothing.
 * - `destroy` is idempotent; stateful stores leave a tombstone so a request that loaded the session
 *   before the destroy cannot write it back.
 */
export interface SessionStore {
  /** `true` when the cookie holds only a ticket and the session lives server-side. */
  readonly stateful: boolean
  load(context: StoreContext): Promise<LoadResult>
  /** @returns `false` when a compare-and-set lost (a newer version, or a tombstone, is stored) */
  save(context: StoreContext, session: Session): Promise<boolean>
  destroy(context: StoreContext, session: Session | null): Promise<void>
}
