/**
 * The Redis session store: the cookie holds only a ticket (an unguessable id and a per-session
 * key), Redis holds the session sealed under that key.
 *
 * Keys (`p` = `keyPrefix`, `h(x)` = the first 16 bytes of SHA-256, base64url):
 *
 * | key | holds | TTL |
 * | --- | --- | --- |
 * | `p` `s:{` h(ticket id) `}` | `version｜expiresAt｜subTag｜sidTag｜summary｜JWE` or the tombstone `~` | idle timeout capped by the absolute lifetime; tombstone `tombstoneTtl` |
 * | `p` `u:{` h(sub) `}` | set of session handles of one `sub` | the longest absolute lifetime of its members |
 * | `p` `d:{` h(sid) `}` | set of session handles of one `sid` | same |
 *
 * `summary` (base64url JSON: the session's own id, its times, the user agent, the manager's sealed
 * escrow) lists the session by `sub` without opening it; values written before it existed have
 * none. Each key has its own hash tag, so every Lua script touches one key (one slot) and the store runs
 * unchanged on Redis Cluster. The index sets are updated by separate commands; that is safe
 * because an index only ever holds a superset of the live sessions: a handle is added *before*
 * its session is created, removed only *after* the session became a tombstone, and a stale handle
 * is harmless (lookups skip it, `destroyBy*` tombstones it).
 *
 * @module
 */
import { base64url } from 'jose'
import { SealError, StoreUnavailableError, invalidArg } from '../../errors.js'
import { randomId } from '../../lib/random.js'
import { importAesKey, sealWithKey, unsealWithKey } from '../../session/codec.js'
import { createMemo } from '../../lib/memo.js'
import { decodeSession, encodeSession, type Session } from '../../session/session.js'
import type {
  ListingSessionStore,
  LoadResult,
  StoreContext,
  StoredSessionSummary,
} from '../types.js'
import { toRedisClient, type RedisClient, type RedisClientInput } from './client.js'

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * The application's connected client: `ioredis` (`Redis` or `Cluster`), `node-redis`
   * (`createClient` or `createCluster`), or a {@link RedisClient}. oidc-session never closes it.
   */
  client: RedisClientInput
  /** Prefix of every key (non-empty, no `{` or `}`). Default `oidc-session:session:`. */
  keyPrefix?: string
  /**
   * Seconds without a request after which the session ends (its Redis TTL, renewed by every load
   * in the same round trip, never past the absolute lifetime). Default: none (only the absolute
   * lifetime, `session.expiresAt`).
   */
  idleTimeout?: number
  /** Seconds a destroyed session's tombstone lives (loads answer `revoked`). Default 3 600. */
  tombstoneTtl?: number
  /**
   * Milliseconds after which a Redis command fails with `StoreUnavailableError` (used when `client`
   * is a client library rather than a {@link RedisClient}). Default 2 000.
   */
  timeoutMs?: number
}

/** The Redis session store (a {@link ListingSessionStore}: back-channel lookups and session listing). */
export interface RedisStore extends ListingSessionStore {
  /** The key prefix in use. */
  readonly keyPrefix: string
}

/** What the cookie carries, decoded. */
interface Ticket {
  /** The cookie value: `id.key`. */
  value: string
  /** The per-session AES-256-GCM key (never stored in Redis), imported once. */
  key: CryptoKey
  /** h(id): names the session in Redis. */
  handle: string
}

const TICKET = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/
const VALUE =
  /^(\d+)\|(\d+)\|([A-Za-z0-9_-]*)\|([A-Za-z0-9_-]*)\|(?:([A-Za-z0-9_-]+)\|)?([A-Za-z0-9_.-]+)$/
const TOMBSTONE = '~'

/** GET, renewing the idle TTL (capped by the absolute expiry in the value) in the same trip. */
const LOAD_IDLE = `local v = redis.call('GET', KEYS[1])
if not v then return false end
local x = tonumber(string.match(v, '^%d+|(%d+)|'))
if x then
  local ttl = math.min(tonumber(ARGV[1]), x - tonumber(ARGV[2]))
  if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
end
return v`

/** Compare-and-set on the version prefix; a tombstone or a missing key never matches. */
const SAVE = `local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
if string.match(cur, '^(%d+)|') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`

/**
 * Replace the session with a tombstone. Returns nil (nothing there), '~' (already a tombstone) or
 * '!subTag|sidTag' (destroyed now). ARGV[2] = '1' tombstones a missing key too (index-driven
 * destroys, so a login racing a back-channel logout cannot create the session afterwards).
 */
const DESTROY = `local cur = redis.call('GET', KEYS[1])
if cur == '~' then return '~' end
if not cur and ARGV[2] ~= '1' then return false end
redis.call('SET', KEYS[1], '~', 'EX', ARGV[1])
if not cur then return false end
return '!' .. (string.match(cur, '^%d+|%d+|([^|]*|[^|]*)|') or '|')`

/** Add a handle to an index set; its TTL only ever grows. */
const INDEX_ADD = `redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1`

const encoder = new TextEncoder()

async function digest(algorithm: 'SHA-1' | 'SHA-256', text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(algorithm, encoder.encode(text)))
}

/** h(x): 16 bytes of SHA-256 under a label, base64url (22 characters). */
/** h(label, value): 128 bits of a labelled SHA-256, memoized (ticket ids, subs and sids repeat on every request). */
const tags = createMemo<string>(10_000)
/** The ticket's base64url key, imported once as a non-extractable AES-GCM `CryptoKey`. */
const aesKeys = createMemo<CryptoKey>(10_000)
const aesKeyOf = (encoded: string) =>
  aesKeys(encoded, () => importAesKey(base64url.decode(encoded)))
function tag(label: string, value: string): Promise<string> {
  const input = `${label}\0${value}`
  return tags(input, async () =>
    base64url.encode((await digest('SHA-256', `oidc-session ${input}`)).slice(0, 16)),
  )
}

const shas = new Map<string, Promise<string>>()
function sha1(script: string): Promise<string> {
  let sha = shas.get(script)
  if (!sha) {
    sha = digest('SHA-1', script).then((bytes) =>
      Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''),
    )
    shas.set(script, sha)
  }
  return sha
}

/** The Redis reply error behind a `StoreUnavailableError`, when it starts with `prefix`. */
function isReplyError(error: unknown, prefix: string): boolean {
  if (!(error instanceof StoreUnavailableError)) return false
  const cause = (error as { cause?: unknown }).cause
  const message = cause instanceof Error ? cause.message : ''
  return message.startsWith(prefix) || message.includes(` ${prefix} `)
}

function positiveInteger(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw invalidArg(`"${name}" must be a positive integer (seconds)`)
  return value
}

/**
 * Create the Redis session store (subpath `oidc-session/redis`).
 *
 * - The cookie holds only a ticket, `id.key` (128-bit id, 256-bit key, base64url); Redis holds
 *   the session sealed with that key (JWE `dir` + `A256GCM`) under a key derived from a hash of
 *   the id: a Redis dump alone reveals no token, and a cookie alone reveals nothing but itself.
 * - Every new login gets a new ticket (no session fixation).
 * - Hot path: one round trip per request when nothing changed — one `GET`, or one `EVALSHA`
 *   that also renews the idle timeout.
 * - Writes are compare-and-set on `version` (one Lua script); `destroy` leaves a tombstone that
 *   every later write fails on; indexes by `sub` and `sid` serve back-channel logout.
 * - Redis down or slow: `StoreUnavailableError` after the client's timeout, nothing deleted.
 *
 * @param options see {@link RedisStoreOptions}
 * @returns a {@link RedisStore}
 * @throws TypeError `ERR_INVALID_ARG_VALUE` / `ERR_INVALID_ARG_TYPE` for invalid options
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createOidcSession } from 'oidc-session'
 * import { redisStore } from 'oidc-session/redis'
 *
 * const auth = createOidcSession({
 *   ...options,
 *   store: redisStore({ client: new Redis(process.env.REDIS_URL!), idleTimeout: 1800 }),
 * })
 * ```
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html (sessions by `sub`/`sid`)
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  if (typeof options !== 'object' || options === null)
    throw invalidArg('options must be an object', 'ERR_INVALID_ARG_TYPE')
  if (typeof options.client !== 'object' || options.client === null)
    throw invalidArg('"client" must be a Redis client', 'ERR_INVALID_ARG_TYPE')
  const keyPrefix = options.keyPrefix ?? 'oidc-session:session:'
  if (typeof keyPrefix !== 'string' || keyPrefix === '' || /[{}]/.test(keyPrefix))
    throw invalidArg('"keyPrefix" must be a non-empty string without "{" or "}"')
  const idleTimeout = positiveInteger(options.idleTimeout, 'idleTimeout')
  const tombstoneTtl = positiveInteger(options.tombstoneTtl, 'tombstoneTtl') ?? 3600
  const client: RedisClient = toRedisClient(
    options.client,
    options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
  )

  const sessionKey = (handle: string) => `${keyPrefix}s:{${handle}}`
  const subKey = (subTag: string) => `${keyPrefix}u:{${subTag}}`
  const sidKey = (sidTag: string) => `${keyPrefix}d:{${sidTag}}`

  async function run(script: string, key: string, args: (string | number)[]): Promise<unknown> {
    const sha = await sha1(script)
    try {
      return await client.command(key, ['EVALSHA', sha, 1, key, ...args])
    } catch (error) {
      // First use on this server (or after SCRIPT FLUSH / a failover): send the script itself.
      if (!isReplyError(error, 'NOSCRIPT')) throw error
      return client.command(key, ['EVAL', script, 1, key, ...args])
    }
  }

  async function parseTicket(value: string | undefined): Promise<Ticket | undefined> {
    const match = value === undefined ? null : TICKET.exec(value)
    if (!match || value === undefined) return undefined
    const [, id = '', key = ''] = match
    const [cryptoKey, handle] = await Promise.all([aesKeyOf(key), tag('ticket', id)])
    return { value, key: cryptoKey, handle }
  }

  async function newTicket(): Promise<Ticket> {
    const id = randomId(16)
    const key = crypto.getRandomValues(new Uint8Array(32))
    const encoded = base64url.encode(key)
    const [cryptoKey, handle] = await Promise.all([aesKeyOf(encoded), tag('ticket', id)])
    return { value: `${id}.${encoded}`, key: cryptoKey, handle }
  }

  /** Remove `handle` from index sets; best effort (a stale handle is harmless). */
  async function unindex(handle: string, keys: string[]): Promise<void> {
    await Promise.all(keys.map((k) => client.command(k, ['SREM', k, handle]).catch(() => 0)))
  }

  /** Tombstone one session by handle; `true` when a live session was destroyed. */
  async function destroyHandle(handle: string, force: boolean): Promise<boolean> {
    const key = sessionKey(handle)
    const result = await run(DESTROY, key, [tombstoneTtl, force ? '1' : '0'])
    if (typeof result !== 'string' || !result.startsWith('!')) return false
    const [subTag = '', sidTag = ''] = result.slice(1).split('|')
    await unindex(handle, [
      ...(subTag ? [subKey(subTag)] : []),
      ...(sidTag ? [sidKey(sidTag)] : []),
    ])
    return true
  }

  /**
   * Live handles of one index set. Stale members are left alone (the set expires, `destroyBy*`
   * removes them): pruning here could race a login that indexed its handle a moment before
   * creating its session.
   */
  async function members(indexKey: string): Promise<string[]> {
    const handles = await client.command(indexKey, ['SMEMBERS', indexKey])
    if (!Array.isArray(handles)) return []
    const valid = handles.filter(
      (h): h is string => typeof h === 'string' && /^[A-Za-z0-9_-]{22}$/.test(h),
    )
    const values = await Promise.all(
      valid.map((h) =>
        client.command(sessionKey(h), ['GET', sessionKey(h)]).catch((error: unknown) => {
          if (isReplyError(error, 'WRONGTYPE')) return null // garbage: not a live session
          throw error
        }),
      ),
    )
    return valid.filter((_, i) => typeof values[i] === 'string' && values[i] !== TOMBSTONE)
  }

  async function destroyIndexed(indexKey: string): Promise<number> {
    const handles = await client.command(indexKey, ['SMEMBERS', indexKey])
    if (!Array.isArray(handles)) return 0
    let destroyed = 0
    await Promise.all(
      handles.map(async (h: unknown) => {
        if (typeof h !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(h)) return
        const ended = await destroyHandle(h, true).catch((error: unknown) => {
          if (isReplyError(error, 'WRONGTYPE')) return false // garbage under our prefix
          throw error
        })
        if (ended) destroyed++
        await unindex(h, [indexKey])
      }),
    )
    return destroyed
  }

  // A loaded session object → its ticket, so save() writes where load() read.
  const tickets = new WeakMap<Session, Ticket>()

  const store: RedisStore = {
    stateful: true,
    keyPrefix,

    async load(context: StoreContext): Promise<LoadResult> {
      const raw = context.jar.get(context.cookie.name)
      if (raw === undefined || raw === '') return { session: null, reason: 'none' }
      const ticket = await parseTicket(raw)
      if (!ticket) return { session: null, reason: 'tampered' }
      const key = sessionKey(ticket.handle)
      let value: unknown
      try {
        value =
          idleTimeout === undefined
            ? await client.command(key, ['GET', key])
            : await run(LOAD_IDLE, key, [idleTimeout, context.now])
      } catch (error) {
        if (isReplyError(error, 'WRONGTYPE')) return { session: null, reason: 'tampered' }
        throw error
      }
      if (value === null || value === undefined) return { session: null, reason: 'expired' }
      if (value === TOMBSTONE) return { session: null, reason: 'revoked' }
      const match = typeof value === 'string' ? VALUE.exec(value) : null
      if (!match) return { session: null, reason: 'tampered' }
      const [, version, expiresAt, subTag, sidTag, , sealed = ''] = match
      let opened: unknown
      try {
        opened = await unsealWithKey(sealed, ticket.key, context.now)
      } catch (error) {
        if (error instanceof SealError && error.message === 'sealed value has expired')
          return { session: null, reason: 'expired' }
        return { session: null, reason: 'tampered' }
      }
      const session = decodeSession(opened)
      if (
        !session ||
        String(session.version) !== version ||
        String(session.expiresAt) !== expiresAt ||
        (await tag('sub', session.sub)) !== subTag ||
        (session.sid === undefined ? '' : await tag('sid', session.sid)) !== sidTag
      ) {
        return { session: null, reason: 'tampered' }
      }
      if (session.expiresAt <= context.now) return { session: null, reason: 'expired' }
      tickets.set(session, ticket)
      return { session }
    },

    async save(context, session) {
      let ticket = tickets.get(session)
      const created = ticket === undefined
      ticket ??= await newTicket()
      const next: Session = { ...session, version: session.version + 1 }
      const lifetime = Math.max(1, next.expiresAt - context.now)
      const ttl = idleTimeout === undefined ? lifetime : Math.min(idleTimeout, lifetime)
      const [subTag, sidTag, sealed] = await Promise.all([
        tag('sub', next.sub),
        next.sid === undefined ? '' : tag('sid', next.sid),
        sealWithKey(encodeSession(next), ticket.key, next.expiresAt),
      ])
      // The summary that lists the session (no token: the escrow is sealed by the manager).
      const summary = base64url.encode(
        JSON.stringify({
          i: next.id,
          c: next.createdAt,
          x: next.expiresAt,
          ...(next.lastSeenAt !== undefined ? { l: next.lastSeenAt } : {}),
          ...(next.userAgent !== undefined ? { ua: next.userAgent } : {}),
          ...(context.escrow !== undefined ? { e: context.escrow } : {}),
        }),
      )
      const value = `${next.version}|${next.expiresAt}|${subTag}|${sidTag}|${summary}|${sealed}`
      const key = sessionKey(ticket.handle)
      try {
        if (created) {
          // Index first: a live session is always findable by back-channel logout.
          await Promise.all([
            run(INDEX_ADD, subKey(subTag), [ticket.handle, lifetime]),
            ...(sidTag ? [run(INDEX_ADD, sidKey(sidTag), [ticket.handle, lifetime])] : []),
          ])
          const reply = await client.command(key, ['SET', key, value, 'EX', ttl, 'NX'])
          if (reply !== 'OK') return false
        } else {
          const reply = await run(SAVE, key, [String(session.version), value, ttl])
          if (reply !== 1) return false
        }
      } catch (error) {
        if (isReplyError(error, 'WRONGTYPE')) return false
        throw error
      }
      session.version = next.version
      tickets.set(session, ticket)
      if (created || context.jar.get(context.cookie.name) !== ticket.value) {
        context.jar.set(context.cookie.name, ticket.value, {
          ...context.cookie.attributes,
          maxAge: lifetime,
        })
      }
      return true
    },

    async destroy(context, session) {
      const carried = context.jar.get(context.cookie.name)
      const ticket = (session && tickets.get(session)) ?? (await parseTicket(carried))
      if (ticket) {
        try {
          await destroyHandle(ticket.handle, false)
        } catch (error) {
          if (!isReplyError(error, 'WRONGTYPE')) throw error
        }
      }
      if (carried !== undefined) context.jar.expire(context.cookie.name, context.cookie.attributes)
    },

    async listBySub(sub, now) {
      const indexKey = subKey(await tag('sub', sub))
      const handles = await client.command(indexKey, ['SMEMBERS', indexKey])
      if (!Array.isArray(handles)) return []
      const valid = handles.filter(
        (h): h is string => typeof h === 'string' && /^[A-Za-z0-9_-]{22}$/.test(h),
      )
      const values = await Promise.all(
        valid.map((h) =>
          client.command(sessionKey(h), ['GET', sessionKey(h)]).catch((error: unknown) => {
            if (isReplyError(error, 'WRONGTYPE')) return null
            throw error
          }),
        ),
      )
      const found: StoredSessionSummary[] = []
      valid.forEach((handle, i) => {
        const value = values[i]
        const summary = typeof value === 'string' ? VALUE.exec(value)?.[5] : undefined
        if (summary === undefined) return
        let m: Record<string, unknown>
        try {
          m = JSON.parse(new TextDecoder().decode(base64url.decode(summary))) as Record<
            string,
            unknown
          >
        } catch {
          return
        }
        if (typeof m.i !== 'string' || typeof m.c !== 'number' || typeof m.x !== 'number') return
        if (m.x <= now) return
        found.push({
          handle,
          id: m.i,
          createdAt: m.c,
          expiresAt: m.x,
          ...(typeof m.l === 'number' ? { lastSeenAt: m.l } : {}),
          ...(typeof m.ua === 'string' ? { userAgent: m.ua } : {}),
          ...(typeof m.e === 'string' ? { escrow: m.e } : {}),
        })
      })
      return found
    },
    destroyHandle: (handle) => destroyHandle(handle, true),
    findBySub: async (sub) => members(subKey(await tag('sub', sub))),
    findBySid: async (sid) => members(sidKey(await tag('sid', sid))),
    destroyBySub: async (sub) => destroyIndexed(subKey(await tag('sub', sub))),
    destroyBySid: async (sid) => destroyIndexed(sidKey(await tag('sid', sid))),
  }
  return store
}
