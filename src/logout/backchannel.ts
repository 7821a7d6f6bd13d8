/**
 * The back-channel logout receiver (OpenID Connect Back-Channel Logout 1.0).
 *
 * @module
 */
import type { ResolvedConfig } from '../config.js'
import { LogoutTokenError, OidcSessionError } from '../errors.js'
import type { LogoutTokenVerifier } from '../oidc/logout-token.js'
import { revokeToken } from '../oidc/end-session.js'
import type { ProviderContext } from '../oidc/provider.js'
import { getHeader, getMethod, type RequestLike } from '../request/headers.js'
import { json } from '../session/responses.js'
import type { Session } from '../session/session.js'
import { isStatefulStore, type SessionStore, type StoreContext } from '../stores/types.js'
import type { RevocationList } from './revocation-list.js'

/**
 * A back-channel logout request: a Web `Request` (its body is read), or a {@link RequestLike}
 * carrying the already-read form body (`string`, `URLSearchParams` or a parsed record, as body
 * parsers leave it).
 */
export type BackchannelRequest =
  | Request
  | (RequestLike & { body?: string | URLSearchParams | Record<string, unknown> | undefined })

/** What the receiver needs from the manager. */
export interface BackchannelDeps {
  config: ResolvedConfig
  context: ProviderContext
  store: SessionStore
  verifier: LogoutTokenVerifier
  revocationList: RevocationList
  /** The session cookie's full name. */
  cookieName: string
  /** A store context for a cookie header (used to reach stateful sessions by ticket). */
  storeContext(cookieHeader: string): StoreContext
}

const MAX_BODY = 64 * 1024

class BadRequest extends Error {}

async function readForm(request: BackchannelRequest): Promise<URLSearchParams> {
  const type = getHeader(request, 'content-type')?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded')
    throw new BadRequest('expected an application/x-www-form-urlencoded body')
  if (typeof (request as Request).text === 'function' && request instanceof Request) {
    const text = await request.text()
    if (text.length > MAX_BODY) throw new BadRequest('body too large')
    return new URLSearchParams(text)
  }
  const body = (request as { body?: unknown }).body
  if (typeof body === 'string') {
    if (body.length > MAX_BODY) throw new BadRequest('body too large')
    return new URLSearchParams(body)
  }
  if (body instanceof URLSearchParams) return body
  if (typeof body === 'object' && body !== null) {
    const params = new URLSearchParams()
    for (const [key, value] of Object.entries(body)) {
      for (const item of [value].flat()) if (typeof item === 'string') params.append(key, item)
    }
    return params
  }
  throw new BadRequest('no body')
}

const failure = (error: string, description: string) =>
  json(400, { error, error_description: description })

/**
 * Create the `backchannelLogout(request)` handler.
 *
 * It reads the `logout_token` form field of a POST, validates it (see
 * `createLogoutTokenVerifier`), and ends the matching sessions: those of the token's `sid` when it
 * has one, else every session of its `sub` (§2.7). The revocation list records the `sid` (or
 * `sub`) with the current time as `notBefore`, which ends cookie sessions at their next load, in
 * every process sharing the list; stateful stores ({@link isStatefulStore}) also delete them
 * (`destroyBySid` / `destroyBySub`, leaving tombstones). With
 * `logout.backchannelRevokeRefreshTokens`, the refresh tokens of the sessions found are revoked
 * first, for stores whose handles are tickets (the memory store). Answers per §2.8: `200` on success, `400` JSON
 * `{ error, error_description }` otherwise, always `Cache-Control: no-store`.
 *
 * @param deps see {@link BackchannelDeps}
 * @returns the handler behind `OidcSession.backchannelLogout`
 * @example
 * ```ts
 * const receive = createBackchannelLogout({ config, context, store, verifier, revocationList, cookieName, storeContext })
 * const response = await receive(request) // 200, or 400 JSON
 * ```
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
export function createBackchannelLogout(
  deps: BackchannelDeps,
): (request: BackchannelRequest) => Promise<Response> {
  const { config, context, store, verifier, revocationList } = deps
  const nowSeconds = () => Math.floor(config.now() / 1000)

  /** Delete the stateful sessions of `kind` = `value` (revoking their refresh tokens first, if asked). */
  async function endStateful(kind: 'sid' | 'sub', value: string): Promise<void> {
    if (!isStatefulStore(store)) return
    if (config.logout.backchannelRevokeRefreshTokens) {
      const handles = kind === 'sid' ? await store.findBySid(value) : await store.findBySub(value)
      await Promise.all(handles.map(revokeByHandle))
    }
    if (kind === 'sid') await store.destroyBySid(value, nowSeconds())
    else await store.destroyBySub(value, nowSeconds())
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
    await revokeToken(
      context,
      refreshToken,
      'refresh_token',
      config.logout.revocationTimeoutMs,
    ).catch(() => false)
  }

  return async function backchannelLogout(request) {
    if (getMethod(request) !== 'POST') {
      const response = failure('invalid_request', 'back-channel logout requires POST')
      return new Response(response.body, {
        status: 405,
        headers: { ...Object.fromEntries(response.headers), allow: 'POST' },
      })
    }
    let token: string
    try {
      const form = await readForm(request)
      const values = form.getAll('logout_token')
      if (values.length !== 1 || !values[0])
        throw new BadRequest('exactly one logout_token is required')
      token = values[0]
    } catch (error) {
      return failure(
        'invalid_request',
        error instanceof BadRequest ? error.message : 'unreadable body',
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
    const [kind, value] =
      claims.sid !== undefined
        ? (['sid', claims.sid] as const)
        : (['sub', claims.sub as string] as const)
    try {
      await revocationList.add(
        { kind, value, notBefore: nowSeconds() },
        config.absoluteDuration + config.clockToleranceSeconds,
      )
      await endStateful(kind, value)
    } catch (error) {
      const code = error instanceof OidcSessionError ? error.code : 'ERR_INTERNAL'
      return failure('temporarily_unavailable', `the sessions could not be ended (${code})`)
    }
    return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } })
  }
}
