/**
 * The back-channel logout receiver (OpenID Connect Back-Channel Logout 1.0).
 *
 * @module
 */
import { LogoutTokenError, OidcSessionError } from '../errors.js'
import type { LogoutTokenVerifier } from '../oidc/logout-token.js'
import { revokeToken } from '../oidc/end-session.js'
import type { ProviderContext } from '../oidc/provider.js'
import { FormError, readForm, type FormRequest } from '../request/form.js'
import { onIsolates } from '../lib/runtime.js'
import { getMethod } from '../request/headers.js'
import { json } from '../request/responses.js'
import { emit, type SessionEvents } from '../session/events.js'
import type { Session } from '../session/session.js'
import { isStatefulStore, type SessionStore, type StoreContext } from '../stores/types.js'
import type { ReplayCache } from './replay-cache.js'
import type { RevocationList } from './revocation-list.js'

/** What the receiver needs from the manager. */
export interface BackchannelDeps {
  context: ProviderContext
  store: SessionStore
  verifier: LogoutTokenVerifier
  /** Where accepted `jti`s are remembered (claimed before the work, released if it fails). */
  replayCache: ReplayCache
  revocationList: RevocationList
  /** Revoke the refresh tokens of the stateful sessions found (`logout.backchannelRevokeRefreshTokens`). */
  revokeRefreshTokens: boolean
  revocationTimeoutMs: number
  /** How long a revocation is kept: the longest a session can live, plus the clock tolerance. */
  revocationTtlSeconds: number
  /** Seconds of clock tolerance (a `jti` is remembered until its token's `exp` plus this). */
  clockToleranceSeconds: number
  /**
   * `'auto'`: refuse when this runtime is made of isolates and neither the revocation list nor
   * the store is shared; `'accept'`; `'refuse'` (see `LogoutConfig.backchannel`).
   */
  policy: 'auto' | 'accept' | 'refuse'
  /** The session cookie's full name. */
  cookieName: string
  /** A store context for a cookie header (used to reach stateful sessions by ticket). */
  storeContext(cookieHeader: string): StoreContext
  /** Time source, milliseconds. */
  now: () => number
  /** Lifecycle hooks (`backchannelLogout`). */
  events?: SessionEvents
}

const failure = (error: string, description: string) =>
  json(400, { error, error_description: description })

/**
 * Create the `backchannelLogout(request)` handler.
 *
 * It reads the `logout_token` form field of a POST, validates it (see
 * `createLogoutTokenVerifier`), claims its `jti` in the replay cache, and ends the matching
 * sessions: those of the token's `sid` when it has one, else every session of its `sub` (§2.7).
 * The revocation list records the `sid` (or `sub`) with the current time as `notBefore`, which
 * ends cookie sessions at their next load, in every process sharing the list; stateful stores
 * ({@link isStatefulStore}) also delete them (`destroyBySid` / `destroyBySub`, leaving tombstones).
 * If ending them fails (the list or the store cannot be reached), the `jti` is released, so the
 * provider's retry of the same token is accepted. With `revokeRefreshTokens`, the refresh tokens
 * of the sessions found are revoked first, for stores whose handles are tickets (the memory
 * store). Answers per §2.8: `200` on success, `400` JSON `{ error, error_description }` otherwise,
 * always `Cache-Control: no-store`.
 *
 * @param deps see {@link BackchannelDeps}
 * @returns the handler behind `OidcSession.backchannelLogout`
 * @example
 * ```ts
 * const receive = createBackchannelLogout(deps)
 * const response = await receive(request) // 200, or 400 JSON
 * ```
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
export function createBackchannelLogout(
  deps: BackchannelDeps,
): (request: FormRequest) => Promise<Response> {
  const { context, store, verifier, revocationList, replayCache } = deps
  const nowSeconds = () => Math.floor(deps.now() / 1000)
  /** The logout could not reach the other instances: say so instead of a `200`. */
  const unavailable = (): boolean =>
    deps.policy === 'refuse' ||
    (deps.policy === 'auto' &&
      onIsolates() &&
      revocationList.shared === false &&
      !(isStatefulStore(store) && store.shared !== false))

  /** Delete the stateful sessions of `kind` = `value` (revoking their refresh tokens first, if asked). */
  async function endStateful(kind: 'sid' | 'sub', value: string): Promise<number> {
    if (!isStatefulStore(store)) return 0
    if (deps.revokeRefreshTokens) {
      const handles = kind === 'sid' ? await store.findBySid(value) : await store.findBySub(value)
      await Promise.all(handles.map(revokeByHandle))
    }
    if (kind === 'sid') return store.destroyBySid(value, nowSeconds())
    return store.destroyBySub(value, nowSeconds())
  }

  /**
   * Revoke the refresh token of the session a handle names, when the handle opens it as a cookie
   * would (the memory store's handles are its tickets; the Redis store's are not, by design).
   */
  async function revokeByHandle(handle: string): Promise<void> {
    let session: Session | null = null
    try {
      session = (await store.load(deps.storeContext(`${deps.cookieName}=${handle}`))).session
    } catch {
      return
    }
    const refreshToken = session?.tokens.refreshToken
    if (!session || refreshToken === undefined) return
    await revokeToken(context, refreshToken, 'refresh_token', deps.revocationTimeoutMs).catch(
      () => false,
    )
  }

  return async function backchannelLogout(request) {
    if (getMethod(request) !== 'POST') {
      const response = failure('invalid_request', 'back-channel logout requires POST')
      response.headers.set('allow', 'POST')
      return new Response(response.body, { status: 405, headers: response.headers })
    }
    if (unavailable())
      return failure(
        'backchannel_logout_unavailable',
        'this deployment cannot end the session in every instance (its revocation list is process-local)',
      )
    let token: string
    try {
      const form = await readForm(request)
      const values = form.getAll('logout_token')
      if (values.length !== 1 || !values[0])
        throw new FormError('exactly one logout_token is required')
      token = values[0]
    } catch (error) {
      return failure(
        'invalid_request',
        error instanceof FormError ? error.message : 'unreadable body',
      )
    }
    let claims
    try {
      claims = await verifier.verify(token)
    } catch (error) {
      if (error instanceof LogoutTokenError) return failure('invalid_request', error.message)
      const code = error instanceof OidcSessionError ? error.code : 'ERR_INTERNAL'
      return failure('temporarily_unavailable', `the logout token could not be checked (${code})`)
    }
    const replayKey = `${claims.iss} ${claims.jti}`
    const now = nowSeconds()
    try {
      const ttl = Math.max(1, claims.exp + deps.clockToleranceSeconds - now)
      if (!(await replayCache.claim(replayKey, ttl)))
        return failure('invalid_request', 'invalid logout_token: "jti" was already used')
    } catch (error) {
      const code = error instanceof OidcSessionError ? error.code : 'ERR_INTERNAL'
      return failure('temporarily_unavailable', `the logout token could not be checked (${code})`)
    }
    const [kind, value] =
      claims.sid !== undefined
        ? (['sid', claims.sid] as const)
        : (['sub', claims.sub as string] as const)
    let sessions: number
    try {
      await revocationList.add({ kind, value, notBefore: now }, deps.revocationTtlSeconds)
      sessions = await endStateful(kind, value)
    } catch (error) {
      // Nothing is lost: the provider's retry of this very token is accepted.
      await replayCache.release(replayKey).catch(() => undefined)
      const code = error instanceof OidcSessionError ? error.code : 'ERR_INTERNAL'
      return failure('temporarily_unavailable', `the sessions could not be ended (${code})`)
    }
    if (deps.events)
      emit(deps.events, 'backchannelLogout', {
        ...(claims.sid !== undefined ? { sid: claims.sid } : {}),
        ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
        sessions,
      })
    return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } })
  }
}
