/**
 * The revocation list: sessions that live in cookies cannot be deleted, so a logout (by session
 * id) or a back-channel logout (by `sid` or `sub`) ending them is recorded here, and every load
 * checks the session against it.
 *
 * @module
 */
import { BoundedMap } from '../lib/bounded-map.js'

/**
 * One revocation: every session of this `sid` (or `sub`, or with this session id) created at or
 * before `notBefore`.
 */
export interface RevocationEntry {
  /** What `value` is: the provider's session id, the user, or one of our sessions' own id. */
  kind: 'sid' | 'sub' | 'session'
  value: string
  /** Seconds since the epoch: sessions created at or before it are revoked. */
  notBefore: number
}

/**
 * Where revocations live. Times are seconds since the epoch, TTLs seconds.
 *
 * - `add` records an entry for `ttlSeconds` (at least as long as the sessions it covers can live,
 *   so every one of them ends before it is forgotten). A later `add` of the same kind and value
 *   keeps the latest `notBefore`.
 * - `notBefore` answers the recorded times for a session's `sub`, `sid` and id (`session`); the
 *   last two may be absent from the question and from the answer.
 *
 * Implementations that leave the process must be shared by every process serving the sessions;
 * `shared: false` declares one that is not (the in-memory list), so the library can say what it
 * cannot promise.
 */
export interface RevocationList {
  /** Record `entry` for `ttlSeconds`; of two entries for one kind and value the later `notBefore` wins. */
  add(entry: RevocationEntry, ttlSeconds: number): Promise<void>
  /** The recorded times for a session's `sub`, `sid` and id, where there are any. */
  notBefore(keys: {
    sub: string
    sid?: string
    session?: string
  }): Promise<{ sid?: number; sub?: number; session?: number }>
  /** `false` for a list only this process sees. Default (absent): shared. */
  readonly shared?: boolean
}

/**
 * `true` when a session is covered by the list: created at or before the `notBefore` of its `sid`,
 * of its `sub`, or of its own id.
 *
 * @param list the revocation list
 * @param session the loaded session (`id`, `sub`, `sid`, `createdAt`)
 * @returns whether the session is revoked
 * @throws whatever the list throws (`StoreUnavailableError` when Redis is down)
 * @example
 * ```ts
 * if (await isRevoked(list, session)) return { session: null, reason: 'revoked' }
 * ```
 */
export async function isRevoked(
  list: RevocationList,
  session: { id: string; sub: string; sid?: string; createdAt: number },
): Promise<boolean> {
  const found = await list.notBefore({
    sub: session.sub,
    session: session.id,
    ...(session.sid === undefined ? {} : { sid: session.sid }),
  })
  return [found.sid, found.sub, found.session].some(
    (notBefore) => notBefore !== undefined && session.createdAt <= notBefore,
  )
}

/**
 * A bounded in-process {@link RevocationList}. Past `maxEntries` the oldest entries are dropped
 * first (a dropped entry no longer revokes its sessions: size it for the logouts and back-channel
 * logouts of one session lifetime). Processes do not share it (`shared: false`): a logout in one
 * process does not end a copy of the cookie presented to another. Use `redisRevocationList`
 * (`oidc-session/redis`) when several processes serve the same cookie sessions.
 *
 * @param maxEntries most entries kept. Default 100 000.
 * @param now time source in milliseconds. Default `Date.now`.
 * @returns a {@link RevocationList}
 * @example
 * ```ts
 * const auth = createOidcSession({ ...options, logout: { revocationList: memoryRevocationList() } })
 * ```
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCActions
 */
export function memoryRevocationList(
  maxEntries = 100_000,
  now: () => number = Date.now,
): RevocationList {
  const entries = new BoundedMap<string, number>(maxEntries, now)
  return {
    shared: false,
    async add(entry, ttlSeconds) {
      const key = `${entry.kind}:${entry.value}`
      const notBefore = Math.max(entry.notBefore, entries.get(key) ?? -Infinity)
      entries.set(key, notBefore, ttlSeconds * 1000)
    },
    async notBefore({ sub, sid, session }) {
      const result: { sid?: number; sub?: number; session?: number } = {}
      const bySub = entries.get(`sub:${sub}`)
      if (bySub !== undefined) result.sub = bySub
      const bySid = sid === undefined ? undefined : entries.get(`sid:${sid}`)
      if (bySid !== undefined) result.sid = bySid
      const bySession = session === undefined ? undefined : entries.get(`session:${session}`)
      if (bySession !== undefined) result.session = bySession
      return result
    },
  }
}
