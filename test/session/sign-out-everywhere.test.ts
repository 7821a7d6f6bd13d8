/**
 * Session listing and sign-out everywhere through the public API against the real provider, with
 * two instances of one app side by side: on a shared Redis store (sessions listed, one ended from
 * another device, all ended, the admin API by `sub`, refresh tokens revoked at the provider), and
 * with the cookie store (ending all sessions of a `sub` goes through the shared revocation list).
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OidcSessionConfig } from 'oidc-session'
import { redisRevocationList, redisStore } from 'oidc-session/redis'
import { Agent } from '../fixtures/agent.js'
import { startAppBed, tryRefresh, type AppBed } from '../fixtures/app-bed.js'
import { startProvider, type TestProvider } from '../fixtures/provider.js'
import { startRedis, type TestRedis } from '../fixtures/redis.js'

let provider: TestProvider
let redis: TestRedis
let client: Redis
const beds: AppBed[] = []
const frozenAt = Date.now()

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
  redis = await startRedis()
  client = new Redis(redis.url)
})

afterAll(async () => {
  for (const bed of beds) await bed.close()
  client?.disconnect()
  await redis?.close()
  await provider?.close()
})

/** Two instances of one app sharing the revocation list (and, for `redis`, the session store). */
async function pair(store: 'cookie' | 'redis', prefix: string): Promise<[AppBed, AppBed]> {
  const shared = (): Partial<OidcSessionConfig> => ({
    session: { userAgent: true },
    logout: { revocationList: redisRevocationList(client, { keyPrefix: `${prefix}:logout:` }) },
    ...(store === 'redis'
      ? { store: redisStore({ client, keyPrefix: `${prefix}:session:` }) }
      : {}),
  })
  const a = await startAppBed({ provider, session: shared() })
  const b = await startAppBed({
    provider,
    session: shared(),
    siblings: [a.url],
    client: { client_id: a.clientId, client_secret: a.clientSecret },
  })
  for (const bed of [a, b]) bed.clock.frozenAt = frozenAt
  beds.push(a, b)
  return [a, b]
}

const device = (name: string) => new Agent({ userAgentHeaders: { 'user-agent': name } })

async function sessionOf(bed: AppBed, agent: Agent) {
  const result = await bed.auth.authenticate(bed.request(bed.cookieOf(agent)))
  if (!result.ok) throw new Error(`no session: ${result.reason}`)
  return result.session
}

describe('two instances on a shared Redis store', () => {
  it('lists the user’s sessions across instances and ends one from another device', async () => {
    const [a, b] = await pair('redis', 'soe1')
    const laptop = await a.login('alice', device('Laptop/1.0'))
    const phone = await b.login('alice', device('Phone/2.0'))
    await b.login('bob', device('Other/1.0'))
    const phoneSession = await sessionOf(b, phone)
    const phoneRefresh = phoneSession.tokens.refreshToken ?? ''
    const listed = await a.auth.sessions(a.request(a.cookieOf(laptop)))
    expect(listed).toHaveLength(2)
    expect(listed.map((s) => s.userAgent).sort()).toEqual(['Laptop/1.0', 'Phone/2.0'])
    expect(listed.filter((s) => s.current).map((s) => s.userAgent)).toEqual(['Laptop/1.0'])
    for (const s of listed) expect(s.lastSeenAt).toBeGreaterThanOrEqual(s.createdAt)
    // A listing never carries a token, a ticket or an escrow.
    expect(JSON.stringify(listed)).not.toContain(phoneRefresh)
    expect(Object.keys(listed[0] ?? {}).sort()).toEqual(
      ['createdAt', 'current', 'expiresAt', 'id', 'lastSeenAt', 'userAgent'].sort(),
    )

    provider.counters.reset()
    const { ended } = await a.auth.endSession(a.request(a.cookieOf(laptop)), phoneSession.id)
    expect(ended).toBe(true)
    expect(provider.counters.revocation).toBe(1)
    expect(await b.auth.authenticate(b.request(b.cookieOf(phone)))).toMatchObject({
      ok: false,
      reason: 'revoked',
    })
    expect(await tryRefresh(a, phoneRefresh)).toMatchObject({ status: 400, error: 'invalid_grant' })
    // The laptop is untouched; ending an unknown id (or someone else's) ends nothing.
    expect((await a.auth.authenticate(a.request(a.cookieOf(laptop)))).ok).toBe(true)
    const other = await a.auth.endSession(a.request(a.cookieOf(laptop)), phoneSession.id)
    expect(other.ended).toBe(false)
    expect(a.events.some((e) => e.payload.reason === 'ended-remotely')).toBe(true)
  })

  it('endAllSessions(sub) ends every session of the user in both instances, and only theirs', async () => {
    const [a, b] = await pair('redis', 'soe2')
    const one = await a.login('carol')
    const two = await b.login('carol')
    const bob = await a.login('bob')
    const refresh = (await sessionOf(a, one)).tokens.refreshToken ?? ''
    const me = await sessionOf(b, two)
    expect(await b.auth.endAllSessions(me.sub)).toBe(2)
    for (const [bed, agent] of [
      [a, one],
      [b, two],
    ] as const) {
      expect((await bed.auth.authenticate(bed.request(bed.cookieOf(agent)))).ok).toBe(false)
    }
    expect((await a.auth.authenticate(a.request(a.cookieOf(bob)))).ok).toBe(true)
    expect(await tryRefresh(a, refresh)).toMatchObject({ status: 400, error: 'invalid_grant' })
    expect(await a.auth.sessions(a.request(a.cookieOf(bob)))).toHaveLength(1)
    // A later login of the same user is a new, valid session.
    for (const bed of [a, b]) bed.clock.seconds = 2
    const again = await a.login('carol')
    expect((await b.auth.authenticate(b.request(a.cookieOf(again)))).ok).toBe(true)
  })

  it('the admin API lists and ends sessions by sub, without a user request', async () => {
    const [a, b] = await pair('redis', 'soe3')
    const dave = await a.login('dave', device('Kiosk/1.0'))
    await b.login('dave')
    const listed = await b.auth.admin.sessions('dave')
    expect(listed).toHaveLength(2)
    expect(listed.every((s) => !s.current)).toBe(true)
    const kiosk = listed.find((s) => s.userAgent === 'Kiosk/1.0')
    expect(await b.auth.admin.endSession('dave', kiosk?.id ?? '')).toBe(true)
    expect((await a.auth.authenticate(a.request(a.cookieOf(dave)))).ok).toBe(false)
    expect(await b.auth.admin.endSession('eve', listed[1]?.id ?? '')).toBe(false)
    expect(await a.auth.admin.endAllSessions('dave')).toBe(1)
    expect(await a.auth.admin.sessions('dave')).toEqual([])
  })
})

describe('two instances with the cookie store', () => {
  it('endAllSessions(sub) ends the user’s cookie sessions everywhere through the revocation list', async () => {
    const [c, d] = await pair('cookie', 'soe4')
    const one = await c.login('frank')
    const two = await d.login('frank')
    const gina = await c.login('gina')
    // Only the request's own session is known to a cookie store.
    const own = await c.auth.sessions(c.request(c.cookieOf(one)))
    expect(own).toHaveLength(1)
    expect(own[0]?.current).toBe(true)
    expect(await d.auth.endAllSessions('frank')).toBe(0)
    expect(await c.auth.authenticate(c.request(c.cookieOf(one)))).toMatchObject({
      ok: false,
      reason: 'revoked',
    })
    expect(await d.auth.authenticate(d.request(d.cookieOf(two)))).toMatchObject({
      ok: false,
      reason: 'revoked',
    })
    expect((await c.auth.authenticate(c.request(c.cookieOf(gina)))).ok).toBe(true)
    for (const bed of [c, d]) bed.clock.seconds = 2
    const later = await c.login('frank')
    expect((await d.auth.authenticate(d.request(c.cookieOf(later)))).ok).toBe(true)
  })

  it('endSession(request, own id) ends this browser’s session in every instance; other ids end nothing', async () => {
    const [c, d] = await pair('cookie', 'soe5')
    const agent = await c.login('hana')
    const copy = c.cookieOf(agent)
    const session = await sessionOf(c, agent)
    expect((await c.auth.endSession(c.request(copy), 'someone-else')).ended).toBe(false)
    provider.counters.reset()
    const { ended, headers } = await c.auth.endSession(c.request(copy), session.id)
    expect(ended).toBe(true)
    expect(headers.getSetCookie().some((line) => /max-age=0/i.test(line))).toBe(true)
    expect(provider.counters.revocation).toBe(1)
    expect(await d.auth.authenticate(d.request(copy))).toMatchObject({
      ok: false,
      reason: 'revoked',
    })
  })
})
