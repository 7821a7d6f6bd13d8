/**
 * The revocation list of back-channel logout: sessions that live in cookies cannot be deleted, so a
 * logout token ending them is recorded here, and every load checks the session against it.
 *
 * @module
 */

/** One revocation: every session of this `sid` (or `sub`) created at or before `notBefore`. */
export interface RevocationEntry {
  /** What `value` is: the provider's session id, or the user. */
  kind: 'sid' | 'sub'
  value: string
  /** Seconds since the epoch: sessions created at or before it are revoked. */
  notBefore: number
}

/**
 * Where revocations live. Times are seconds since the epoch, TTLs seconds.
 *
 * - `add` records an entry for `ttlSeconds` (at least the longest session lifetime, so every
 *   session it covers ends before it is forgotten). A later `add` of the same kind and value keeps
 *   the latest `notBefore`.
 * - `notBefore` answers the recorded times for a session's `sid` and `sub` (either may be absent).
 *   Implementations that leave the process must be shared by every process serving the sessions.
 */
export interface RevocationList {
  add(entry: RevocationEntry, ttlSeconds: number): Promise<void>
  notBefore(keys: { sub: string; sid?: string }): Promise<{ sid?: number; sub?: number }>
}

/**
 * `true` when a session is covered by the list: created at or before the `notBefore` of its `sid`
 * or of its `sub`.
 *
 * @param list the revocation list
 * @param session the loaded session (`sub`, `sid`, `createdAt`)
 * @returns whether the session is revoked
 * @throws whatever the list throws (`StoreUnavailableError` when Redis is down)
 * @example
 * ```ts
 * if (await isRevoked(list, session)) return { session: null, reason: 'revoked' }
 * ```
 */
export async function isRevoked(
  list: RevocationList,
  session: { sub: string; sid?: string; createdAt: number },
): Promise<boolean> {
  const found = await list.notBefore(
    session.sid === undefined ? { sub: session.sub } : { sub: session.sub, sid: session.sid },
  )
  return (
    (found.sid !== undefined && session.createdAt <= found.sid) ||
    (found.sub !== undefined && session.createdAt <= found.sub)
  )
}

/**
 * A bounded in-process {@link RevocationList}. Past `maxEntries` the oldest entries are dropped
 * first (a dropped entry no longer revokes its sessions: size it for the back-channel logouts of
 * one session lifetime). Processes do not share it: use `redisRevocationList`
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
  const entries = new Map<string, { notBefore: number; until: number }>()
  const read = (key: string): number | undefined => {
    const entry = entries.get(key)
    if (!entry) return undefined
    if (entry.until <= now()) {
      entries.delete(key)
      return undefined
    }
    return entry.notBefore
  }
  return {
    async add(entry, ttlSeconds) {
      const key = `${entry.kind}:${entry.value}`
      const notBefore = Math.max(entry.notBefore, read(key) ?? -Infinity)
      entries.delete(key)
      entries.set(key, { notBefore, until: now() + ttlSeconds * 1000 })
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next()
        if (oldest.done) break
        entries.delete(oldest.value)
      }
    },
    async notBefore({ sub, sid }) {
      const result: { sid?: number; sub?: number } = {}
      const bySub = read(`sub:${sub}`)
      if (bySub !== undefined) result.sub = bySub
      if (sid !== undefined) {
        const bySid = read(`sid:${sid}`)
        if (bySid !== undefined) result.sid = bySid
      }
      return result
    },
  }
}
