/**
 * Workers: what happens to the promises the core shares between requests — the refresh
 * single-flight, the discovery cache, jose's JWKS cache — when several requests of one isolate
 * wait on them, in workerd (at `WORKERD_COMPATIBILITY_DATE`, so
 * `handle_cross_request_promise_resolution` is on).
 *
 * The worker's outbound calls go through a proxy that can hold the provider's answers (the
 * provider has done the work; the answer is on its way), and the app sits behind an edge
 * stand-in that can cancel a request as the Workers runtime does when a client disconnects.
 *
 * Findings pinned here (each test fails if workerd or the core behaves otherwise):
 * - Sharing works while the request that started the work lives: one refresh for a burst.
 * - When that request ends first (cancelled, or it answered before a background refresh was
 *   done), workerd drops its outbound call and every request awaiting the promise it created
 *   gets `Error: This promise was created by a request that has since ended, so it can never
 *   settle.` The promise never settles, so the core never clears it: the refresh flight stays
 *   for good (that session's refresh fails in this isolate until the isolate goes away; logout
 *   still works) and the discovery cache keeps it for its 24 h lifetime (every login of the
 *   isolate fails; refresh, logout and back-channel logout read discovery too). The provider did
 *   the refresh: the rotated refresh token is lost.
 * - `ctx.waitUntil()` over the request's handling keeps the work alive: followers share it.
 * - jose's JWKS cache starts one fetch per request on Workers (it detects them), so a cancelled
 *   request does not break the next one.
 */
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'

import { DEFAULT_CLIENT } from '../fixtures/provider.js'
import type { OutboundCall, OutboundProxy } from './support/outbound-proxy.js'
import { WORKERD_COMPATIBILITY_DATE } from './support/runtimes.js'
import {
  quiet,
  startWorkerBed,
  type WorkerBed,
  type WorkerBedOptions,
} from './support/worker-bed.js'

/** workerd's answer to awaiting a promise whose request has ended. */
const DEAD_PROMISE = /^Error: This promise was created by a request that has since ended/
/** Signs of cross-request trouble in workerd's log. */
const WORKERD_WARNINGS = /different request|never settle|never complete|will never generate/i

const calls = (proxy: OutboundProxy, kind: OutboundCall['kind']) =>
  proxy.calls.filter((call) => call.kind === kind)

let bed: WorkerBed | undefined
const start = async (options: WorkerBedOptions = {}) => (bed = await startWorkerBed(options))
afterEach(async () => {
  await bed?.close()
  bed = undefined
})

describe(`workerd ${WORKERD_COMPATIBILITY_DATE}: the refresh single-flight shared between requests`, () => {
  it('a burst of expired requests shares one refresh while the request that started it runs', async () => {
    const { proxy, provider, app, ...b } = await start()
    const cookie = await b.login()
    await b.clockAhead(600)
    const hold = proxy.hold('token:refresh_token')
    const before = (await b.stats()).loads
    const burst = Array.from({ length: 5 }, () => b.me(cookie))
    await hold.arrived
    await b.until((s) => s.loads >= before + 5, 'every request of the burst to load its session')
    hold.release()

    const answers = await Promise.all(burst)
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { expiresAt: number }[]
    expect(new Set(bodies.map((body) => body.expiresAt)).size).toBe(1)
    expect(provider.counters.token.refresh_token).toBe(1)
    expect((await b.stats()).refresh).toEqual({ provider: 1, shared: 4 })
    expect(app.output()).not.toMatch(WORKERD_WARNINGS)
  })

  it('the request that started the refresh is cancelled: its followers get the dead-promise error, for good, and the rotated token is lost', async () => {
    const { proxy, provider, app, ...b } = await start({ edge: true })
    const cookie = await b.login()
    await b.clockAhead(600)
    const hold = proxy.hold('token:refresh_token')
    const before = (await b.stats()).loads
    const leader = b.me(cookie, { edgeId: 'leader' })
    await hold.arrived
    await b.until((s) => s.loads >= before + 1, 'the leader to load its session')
    const follower = b.authenticate(cookie)
    await b.until((s) => s.loads >= before + 2, 'the follower to join the refresh')

    await b.cancel('leader')
    expect((await leader).status).toBe(499)
    // workerd drops the cancelled request's outbound call (nothing held it).
    await b.untilCalls(
      (p) => calls(p, 'token:refresh_token').some((call) => call.outcome === 'abandoned'),
      "workerd to drop the leader's token request",
    )
    hold.release()

    const joined = await follower
    expect(joined).toMatchObject({ reason: 'store-unavailable', sub: null })
    expect(joined.error).toEqual([
      'StoreUnavailableError: the refresh lock or result cache failed',
      expect.stringMatching(DEAD_PROMISE),
    ])
    // The provider refreshed (and rotated) the grant; nobody received the new tokens.
    expect(calls(proxy, 'token:refresh_token')).toEqual([
      { kind: 'token:refresh_token', outcome: 'abandoned', status: 200 },
    ])
    expect(provider.counters.token.refresh_token).toBe(1)

    // The flight never settles, so it is never cleared: this session's refresh fails in this
    // isolate from now on, without a provider call (a transient failure would be retried).
    const later = await b.authenticate(cookie)
    expect(later.reason).toBe('store-unavailable')
    expect(later.error[1]).toMatch(DEAD_PROMISE)
    expect(calls(proxy, 'token:refresh_token')).toHaveLength(1)
    // Logging out still works (302 to the end-session endpoint): the user's way out.
    const logout = await fetch(`${app.url}/logout`, {
      redirect: 'manual',
      headers: { cookie, accept: 'text/html', 'sec-fetch-site': 'same-origin' },
    })
    expect(logout.status).toBe(302)
    expect(logout.headers.get('location')).toMatch(new RegExp(`^${provider.issuer}/session/end\\?`))
  })

  it('with ctx.waitUntil() over the handling, a cancelled leader finishes its refresh and its followers share it', async () => {
    const { proxy, provider, ...b } = await start({ edge: true, env: { WAIT_UNTIL: '1' } })
    const cookie = await b.login()
    await b.clockAhead(600)
    const hold = proxy.hold('token:refresh_token')
    const before = (await b.stats()).loads
    const leader = b.me(cookie, { edgeId: 'leader' })
    await hold.arrived
    await b.until((s) => s.loads >= before + 1, 'the leader to load its session')
    const follower = b.authenticate(cookie)
    await b.until((s) => s.loads >= before + 2, 'the follower to join the refresh')

    await b.cancel('leader')
    expect((await leader).status).toBe(499)
    // Two round trips through the edge and the app: a dropped call would show by now (it does
    // in the test above); waitUntil keeps it.
    await b.stats()
    await b.stats()
    expect(calls(proxy, 'token:refresh_token').map((call) => call.outcome)).toEqual(['pending'])
    hold.release()

    expect(await follower).toMatchObject({ reason: 'refreshed', sub: 'alice', error: [] })
    await proxy.settled()
    expect(calls(proxy, 'token:refresh_token')).toEqual([
      { kind: 'token:refresh_token', outcome: 'answered', status: 200 },
    ])
    // A later request with the pre-refresh cookie gets the result from the recent-result cache.
    expect(await b.authenticate(cookie)).toMatchObject({ reason: 'refreshed', error: [] })
    expect(provider.counters.token.refresh_token).toBe(1)
    expect((await b.stats()).refresh).toEqual({ provider: 1, shared: 1, cache: 1 })
  })

  it('refresh.background: the refresh dies with the request that answered, and the session later fails for good', async () => {
    const { proxy, ...b } = await start({
      env: { SESSION_STORE: 'memory', REFRESH_BACKGROUND: '1' },
    })
    const cookie = await b.login()
    // Due (within the 60 s leeway), not expired: answered at once, refreshed in the background.
    await b.clockAhead(250)
    expect((await b.me(cookie)).status).toBe(200)
    expect(await b.authenticate(cookie)).toMatchObject({ reason: 'refresh-deferred', sub: 'alice' })

    await b.clockAhead(600)
    const expired = await b.authenticate(cookie)
    expect(expired.reason).toBe('store-unavailable')
    expect(expired.error[1]).toMatch(DEAD_PROMISE)
    // The background refresh never got its answer (it may not even have left the isolate).
    expect(calls(proxy, 'token:refresh_token').filter((c) => c.outcome === 'answered')).toEqual([])
  })
})

describe('workerd: the discovery cache shared between requests', () => {
  it('the first request is cancelled during discovery: every later login of the isolate fails', async () => {
    const { proxy, app, ...b } = await start({ edge: true })
    const login = (headers: Record<string, string> = {}) =>
      quiet(fetch(`${app.url}/login`, { redirect: 'manual', headers }))
    const hold = proxy.hold('discovery')
    const first = login({ 'x-edge-id': 'first' })
    await hold.arrived
    const second = login()
    // The second login is inside the app (and, with no I/O before it, waiting on discovery).
    await b.until((s) => s.inflight >= 3, 'the second login to enter the app')

    await b.cancel('first')
    expect((await first).status).toBe(499)
    await b.untilCalls(
      (p) => calls(p, 'discovery').some((call) => call.outcome === 'abandoned'),
      'workerd to drop the discovery request',
    )
    hold.release()

    const failed = await second
    expect(failed.status).toBe(500)
    expect(await failed.json()).toEqual({ error: 'server_error', code: 'ERR_INTERNAL' })
    // The cached discovery promise never settles (so neither its 1 s failure cooldown nor its
    // 24 h lifetime applies): later logins fail at once, without a provider call.
    const later = await login()
    expect(later.status).toBe(500)
    expect(calls(proxy, 'discovery')).toHaveLength(1)
  })
})

describe("workerd: jose's JWKS cache (back-channel logout)", () => {
  it('jose fetches the JWKS once per request on Workers: a cancelled request does not break the next', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true })
    const jwk: JWK = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'k1' }
    const { proxy, provider, app, ...b } = await start({ edge: true, jwks: [jwk] })
    const logoutToken = (jti: string) =>
      new SignJWT({
        sid: `sid-${jti}`,
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'logout+jwt' })
        .setIssuer(provider.issuer)
        .setAudience(DEFAULT_CLIENT.id)
        .setIssuedAt()
        .setExpirationTime('2m')
        .setJti(jti)
        .sign(privateKey)
    const deliver = async (jti: string, headers: Record<string, string> = {}) => {
      const body = new URLSearchParams({ logout_token: await logoutToken(jti) })
      return quiet(
        fetch(`${app.url}/backchannel-logout`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body,
        }),
      )
    }
    // Discovery first (settled and cached), so that only the JWKS is in flight below.
    expect((await fetch(`${app.url}/login`, { redirect: 'manual' })).status).toBe(302)

    const hold = proxy.hold('jwks')
    const first = deliver('one', { 'x-edge-id': 'first' })
    await hold.arrived
    const second = deliver('two')
    // The second delivery does not join the first one's fetch: it starts its own.
    await b.untilCalls((p) => calls(p, 'jwks').length === 2, 'a second JWKS request')
    await b.cancel('first')
    expect((await first).status).toBe(499)
    await b.untilCalls(
      (p) => calls(p, 'jwks').some((call) => call.outcome === 'abandoned'),
      "workerd to drop the first delivery's JWKS request",
    )
    hold.release()

    expect((await second).status).toBe(200)
    await proxy.settled()
    expect(calls(proxy, 'jwks').map((call) => call.outcome)).toEqual(['abandoned', 'answered'])
  })
})
