/**
 * Workers: the promises the core shares between requests — the refresh single-flight, the
 * discovery cache, jose's JWKS cache — when several requests of one isolate wait on them, in
 * workerd (at `WORKERD_COMPATIBILITY_DATE`, so `handle_cross_request_promise_resolution` is on).
 *
 * The worker's outbound calls go through a proxy that can hold the provider's answers (the
 * provider has done the work; the answer is on its way), and the app sits behind an edge
 * stand-in that can cancel a request as the Workers runtime does when a client disconnects.
 *
 * On Workers, a promise created by a request that has ended can never settle, and every other
 * request awaiting it is rejected at once (`Error: This promise was created by a request that has
 * since ended, so it can never settle.`); workerd also drops that request's outbound calls. What
 * the core does about it, pinned here (each test fails if workerd or the core behaves otherwise):
 * - With `ctx.waitUntil` passed to the auth call (the recommended use, what `app.ts` does), the
 *   leader's refresh outlives its cancelled request: one provider call, every follower gets the
 *   rotated tokens, and the rotated refresh token keeps working.
 * - That `waitUntil` keeps the refresh, not the cancelled leader's own save: with a store whose
 *   save makes a subrequest (KV, Redis over HTTP) and no other request in the result cache's
 *   60 s, the store keeps the consumed refresh token and the session ends at its next refresh.
 *   `ctx.waitUntil` over the whole handling as well keeps the save. (A gap in the core, pinned:
 *   this test flips when the core hands the refresh *and* its save to `waitUntil`.)
 * - Without `waitUntil`, the dead flight is replaced: the followers (together, single-flight) send
 *   the consumed refresh token again, a rotating provider refuses it (`invalid_grant`) and the
 *   session ends (`refresh-rejected`, 401) — the same as a replay anywhere, never a 503 for good.
 * - `refresh.background` runs inline on Workers without `waitUntil`, and after the response with it.
 * - A cancelled discovery is replaced: the next login discovers again.
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

/** The app's session cookie (or one of its chunks) in a `Cookie` header. */
const SESSION_COOKIE = /(^|; )oidc_session(\.\d+)?=/
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

  it('waitUntil passed to the auth call: a cancelled leader finishes its refresh, its followers get it, the rotated token is kept', async () => {
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
    // Two round trips through the edge and the app: a dropped call would show by now (it does
    // without waitUntil, below); waitUntil keeps it.
    await b.stats()
    await b.stats()
    expect(calls(proxy, 'token:refresh_token').map((call) => call.outcome)).toEqual(['pending'])
    hold.release()

    const joined = await follower
    expect(joined).toMatchObject({ reason: 'refreshed', sub: 'alice', error: [] })
    await proxy.settled()
    expect(calls(proxy, 'token:refresh_token')).toEqual([
      { kind: 'token:refresh_token', outcome: 'answered', status: 200 },
    ])
    // A later request with the pre-refresh cookie gets the result from the recent-result cache.
    expect(await b.authenticate(cookie)).toMatchObject({ reason: 'refreshed', error: [] })
    expect(provider.counters.token.refresh_token).toBe(1)
    expect((await b.stats()).refresh).toEqual({ provider: 1, shared: 1, cache: 1 })

    // The rotated refresh token the follower's cookie carries is the grant's live one: once its
    // access token has expired too, it refreshes at the provider.
    const rotated = b.nextCookie(cookie, joined.setCookie)
    expect(rotated).not.toBe(cookie)
    await b.clockAhead(1_200)
    expect(await b.authenticate(rotated)).toMatchObject({ reason: 'refreshed', error: [] })
    expect(provider.counters.token.refresh_token).toBe(2)
    expect(calls(proxy, 'token:refresh_token').map((call) => call.status)).toEqual([200, 200])
    expect(app.output()).not.toMatch(WORKERD_WARNINGS)
  })

  it("waitUntil passed to the auth call keeps the cancelled leader's refresh and its save: with a store whose save makes a subrequest, the store gets the rotated tokens", async () => {
    const { proxy, provider, ...b } = await start({
      edge: true,
      env: { SESSION_STORE: 'memory', STORE_IO: '1' },
    })
    const cookie = await b.login()
    const { saves } = await b.stats()
    await b.clockAhead(600)
    const hold = proxy.hold('token:refresh_token')
    const leader = b.me(cookie, { edgeId: 'leader' })
    await b.untilCalls(
      (p) => calls(p, 'token:refresh_token')[0]?.status === 200,
      "the provider's answer to the leader",
    )
    await b.cancel('leader')
    expect((await leader).status).toBe(499)
    hold.release()
    // The refresh and the save after it both complete (waitUntil holds the whole step).
    await b.until((s) => s.saves === saves + 1, "the cancelled leader's save")
    await proxy.settled()
    expect(calls(proxy, 'token:refresh_token')).toEqual([
      { kind: 'token:refresh_token', outcome: 'answered', status: 200 },
    ])
    expect(calls(proxy, 'store-io').map((call) => call.outcome)).toEqual(['answered', 'answered'])
    // Past the result cache's 60 s, the store's session is the refreshed one.
    await b.clockAhead(700)
    expect(await b.authenticate(cookie)).toMatchObject({ reason: 'valid' })
    expect(provider.counters.token.refresh_token).toBe(1)
  })

  it('waitUntil over the whole handling too (WAIT_UNTIL=handling): the cancelled leader saves, the store keeps the rotated tokens', async () => {
    const { proxy, provider, ...b } = await start({
      edge: true,
      env: { SESSION_STORE: 'memory', STORE_IO: '1', WAIT_UNTIL: 'handling' },
    })
    const cookie = await b.login()
    const { saves } = await b.stats()
    await b.clockAhead(600)
    const hold = proxy.hold('token:refresh_token')
    const leader = b.me(cookie, { edgeId: 'leader' })
    await b.untilCalls(
      (p) => calls(p, 'token:refresh_token')[0]?.status === 200,
      "the provider's answer to the leader",
    )
    await b.cancel('leader')
    expect((await leader).status).toBe(499)
    hold.release()
    await b.until((s) => s.saves === saves + 1, "the cancelled leader's save")
    await proxy.settled()
    expect(calls(proxy, 'store-io').map((call) => call.outcome)).toEqual(['answered', 'answered'])
    // Past the result cache's 60 s, the store's session is the refreshed one.
    await b.clockAhead(700)
    expect(await b.authenticate(cookie)).toMatchObject({ reason: 'valid' })
    expect(provider.counters.token.refresh_token).toBe(1)
  })

  it('no waitUntil: a cancelled leader no longer strands its followers — they replay the consumed refresh token once, the provider refuses it, the session ends (401, not 503)', async () => {
    const { proxy, provider, app, ...b } = await start({ edge: true, env: { WAIT_UNTIL: '0' } })
    const cookie = await b.login()
    await b.clockAhead(600)
    const hold = proxy.hold('token:refresh_token')
    const before = (await b.stats()).loads
    const leader = b.me(cookie, { edgeId: 'leader' })
    await hold.arrived
    await b.until((s) => s.loads >= before + 1, 'the leader to load its session')
    const followers = [b.authenticate(cookie), b.authenticate(cookie)]
    await b.until((s) => s.loads >= before + 3, 'both followers to join the refresh')
    // The provider has refreshed (and rotated) the grant; its answer is held on the way back.
    await b.untilCalls(
      (p) => calls(p, 'token:refresh_token')[0]?.status === 200,
      "the provider's answer to the leader",
    )

    await b.cancel('leader')
    expect((await leader).status).toBe(499)
    // workerd drops the cancelled request's outbound call (nothing keeps it alive) ...
    await b.untilCalls(
      (p) => calls(p, 'token:refresh_token')[0]?.outcome === 'abandoned',
      "workerd to drop the leader's token request",
    )
    // ... and the followers, rejected by the dead flight, replace it with one new flight: the
    // same (consumed) refresh token, sent once for both.
    await b.untilCalls(
      (p) => calls(p, 'token:refresh_token').length === 2,
      "the followers' new token request",
    )
    hold.release()

    const answers = await Promise.all(followers)
    for (const answer of answers) {
      expect(answer).toMatchObject({ reason: 'refresh-rejected', sub: null })
      expect(answer.error).toEqual([
        'RefreshRejectedError: the provider rejected the refresh token (invalid_grant)',
        'ProviderErrorDetails: invalid_grant (HTTP 400)',
      ])
      // The session's cookie is expired.
      expect(cookie).toMatch(SESSION_COOKIE)
      expect(b.nextCookie(cookie, answer.setCookie)).not.toMatch(SESSION_COOKIE)
    }
    await proxy.settled()
    expect(calls(proxy, 'token:refresh_token')).toEqual([
      { kind: 'token:refresh_token', outcome: 'abandoned', status: 200 },
      { kind: 'token:refresh_token', outcome: 'answered', status: 400 },
    ])
    expect(provider.counters.token.refresh_token).toBe(2)
    expect((await b.stats()).refreshErrors).toEqual([
      'ERR_REFRESH_INVALID_GRANT',
      'ERR_REFRESH_INVALID_GRANT',
    ])

    // Not stuck: a client still sending the old cookie gets the remembered verdict at once
    // (no provider call), and the API answers 401, not 503.
    expect(await b.authenticate(cookie)).toMatchObject({ reason: 'refresh-rejected' })
    const me = await b.me(cookie)
    expect(me.status).toBe(401)
    expect(provider.counters.token.refresh_token).toBe(2)
    expect(app.output()).not.toMatch(WORKERD_WARNINGS)
  })

  it('refresh.background without waitUntil: a due session is refreshed inline, never left to die with the request', async () => {
    const { proxy, provider, ...b } = await start({
      env: { SESSION_STORE: 'memory', REFRESH_BACKGROUND: '1', WAIT_UNTIL: '0' },
    })
    const cookie = await b.login()
    // Due (within the 60 s leeway), not expired.
    await b.clockAhead(250)
    expect(await b.authenticate(cookie)).toMatchObject({ reason: 'refreshed', error: [] })
    expect(calls(proxy, 'token:refresh_token')).toEqual([
      { kind: 'token:refresh_token', outcome: 'answered', status: 200 },
    ])
    // The refreshed session was saved: fresh now, and refreshed again once expired.
    expect(await b.authenticate(cookie)).toMatchObject({ reason: 'valid' })
    await b.clockAhead(1_000)
    expect(await b.authenticate(cookie)).toMatchObject({ reason: 'refreshed', error: [] })
    expect(provider.counters.token.refresh_token).toBe(2)
    expect((await b.stats()).refreshErrors).toEqual([])
  })

  it('refresh.background with waitUntil: answered at once, the refresh and its save complete after the response', async () => {
    // A store whose save makes a subrequest: the save after the refresh needs the request alive.
    const { proxy, provider, ...b } = await start({
      env: { SESSION_STORE: 'memory', STORE_IO: '1', REFRESH_BACKGROUND: '1' },
    })
    const cookie = await b.login()
    const { saves } = await b.stats()
    const { expiresAt: before } = (await (await b.me(cookie)).json()) as { expiresAt: number }
    await b.clockAhead(250)
    const hold = proxy.hold('token:refresh_token')
    // Answered while the provider's answer is still held: the refresh is not inline.
    expect(await b.authenticate(cookie)).toMatchObject({ reason: 'refresh-deferred', error: [] })
    // The refresh goes on after the response (polled: a refresh that died with its request
    // never reaches the provider).
    await b.untilCalls(
      (p) => calls(p, 'token:refresh_token').length === 1,
      'the background refresh to reach the provider',
    )
    hold.release()

    await b.until((s) => s.refresh.provider === 1, 'the background refresh to complete')
    await proxy.settled()
    expect(calls(proxy, 'token:refresh_token')).toEqual([
      { kind: 'token:refresh_token', outcome: 'answered', status: 200 },
    ])
    expect((await b.stats()).saves).toBe(saves + 1)
    // The memory store holds the refreshed session: valid, with the new expiry, no second call.
    expect(await b.authenticate(cookie)).toMatchObject({ reason: 'valid' })
    const { expiresAt: after } = (await (await b.me(cookie)).json()) as { expiresAt: number }
    expect(after).toBeGreaterThan(before)
    expect(provider.counters.token.refresh_token).toBe(1)
    expect((await b.stats()).refreshErrors).toEqual([])
  })
})

describe('workerd: the discovery cache shared between requests', () => {
  it('the first request is cancelled during discovery: the next login discovers again, later ones use it', async () => {
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

    const redirected = await second
    expect(redirected.status).toBe(302)
    expect(redirected.headers.get('location')).toMatch(/\/auth\?/)
    // The new discovery settled in a live request and is cached: no third discovery.
    expect((await login()).status).toBe(302)
    await proxy.settled()
    expect(calls(proxy, 'discovery').map((call) => call.outcome)).toEqual(['abandoned', 'answered'])
  })
})

describe("workerd: jose's JWKS cache (back-channel logout)", () => {
  /** A provider key pair with the JWK the provider publishes. */
  const providerKey = async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true })
    const jwk: JWK = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'k1' }
    return { privateKey, jwk }
  }

  it("by default (logout.backchannel 'auto') an isolate with no shared list refuses back-channel logouts: 400, never a 200 that would be a lie", async () => {
    const { privateKey, jwk } = await providerKey()
    const { proxy, provider, app } = await start({ jwks: [jwk] })
    const token = await new SignJWT({
      sid: 'sid-auto',
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'logout+jwt' })
      .setIssuer(provider.issuer)
      .setAudience(DEFAULT_CLIENT.id)
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti('auto')
      .sign(privateKey)
    const response = await fetch(`${app.url}/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }),
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: 'backchannel_logout_unavailable' })
    await proxy.settled()
    expect(calls(proxy, 'jwks')).toEqual([])
  })

  it('jose fetches the JWKS once per request on Workers: a cancelled request does not break the next', async () => {
    const { privateKey, jwk } = await providerKey()
    // 'accept': the deployment vouches for a shared list (here the test only watches the JWKS).
    const { proxy, provider, app, ...b } = await start({
      edge: true,
      jwks: [jwk],
      env: { BACKCHANNEL: 'accept' },
    })
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
