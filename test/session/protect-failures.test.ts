/**
 * `protect()` on every failure path, driven for real against the Express example and the real
 * provider: each one answers `fetch()` with 401 JSON (503 + Retry-After when the provider or the
 * store is down) and a browser navigation with a 302 to login (a 503 page when down: never a login
 * loop) — and no failure answer ever sets a cookie.
 */
import type { Server } from 'node:http'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createOidcSession, type OidcSession, type SessionStore } from 'oidc-session'
import { redisStore } from 'oidc-session/redis'
import { createApp, type ExampleEnv } from '../../examples/express/app.js'
import { Agent } from '../fixtures/agent.js'
import { NAVIGATION_HEADERS as NAV, rawRequest } from '../fixtures/navigate.js'
import { freePort, startProvider, type TestProvider } from '../fixtures/provider.js'
import { startRedis, type TestRedis } from '../fixtures/redis.js'

const SECRET = 'protect-failures-secret-protect-failures-0123'

let provider: TestProvider
let redis: TestRedis
let redisClient: Redis
let providerStopped = false
let clock = 0 // seconds added to every app's clock
const servers: Server[] = []

interface App {
  url: string
  env: ExampleEnv
  auth: OidcSession
}

/** The Express example on its own port, for a client registered with `grants`. */
async function startApp(clientId: string, grants: string[], store?: SessionStore): Promise<App> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const env: ExampleEnv = {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: clientId,
    OIDC_CLIENT_SECRET: `${clientId}-secret-${clientId}-secret-0123456789`,
    APP_URL: url,
    PORT: String(port),
    SESSION_SECRET: SECRET,
    SESSION_STORE: store ? 'redis' : 'cookie',
  }
  await provider.registerClient({
    client_id: clientId,
    client_secret: env.OIDC_CLIENT_SECRET!,
    redirect_uris: [`${url}/callback`],
    post_logout_redirect_uris: [`${url}/`],
    backchannel_logout_uri: `${url}/backchannel-logout`,
    backchannel_logout_session_required: true,
    grant_types: grants,
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })
  const auth = createOidcSession({
    issuer: provider.issuer,
    client: { id: clientId, secret: env.OIDC_CLIENT_SECRET! },
    redirectUri: `${url}/callback`,
    postLogoutRedirectUri: `${url}/`,
    secrets: [SECRET],
    now: () => Date.now() + clock * 1000,
    ...(store ? { store } : {}),
  })
  const server = await new Promise<Server>((resolve) => {
    const s = createApp(env, auth).listen(port, '127.0.0.1', () => resolve(s))
  })
  servers.push(server)
  return { url, env, auth }
}

let app: App // cookie store, refresh_token grant
let noRefresh: App // cookie store, no refresh_token grant: an expired session is unrefreshable
let redisApp: App // Redis store

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
  redis = await startRedis()
  // No offline queue, no retries: with Redis down, a command fails at once (StoreUnavailableError).
  redisClient = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false })
  redisClient.on('error', () => {}) // reconnect noise while the server is stopped
  app = await startApp('protect-app', ['authorization_code', 'refresh_token'])
  noRefresh = await startApp('protect-norefresh', ['authorization_code'])
  redisApp = await startApp(
    'protect-redis',
    ['authorization_code', 'refresh_token'],
    redisStore({ client: redisClient, timeoutMs: 1000 }),
  )
})

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  redisClient?.disconnect()
  await redis?.close()
  if (!providerStopped) await provider?.close()
})

beforeEach(() => {
  clock = 0
  provider.counters.reset()
})

async function loggedIn(target: App, username: string): Promise<Agent> {
  const agent = new Agent()
  const { response, url } = await agent.login(`${target.url}/login?returnTo=/`, { username })
  expect(response.status).toBe(200)
  expect(new URL(url).pathname).toBe('/')
  return agent
}

/** `Set-Cookie` lines that set (rather than delete) a cookie. */
function setting(lines: string[] | string | undefined): string[] {
  const all = lines === undefined ? [] : Array.isArray(lines) ? lines : [lines]
  return all.filter((line) => !/;\s*max-age=0\s*(;|$)/i.test(line))
}

/** `fetch()` of `/api/me` (Node's fetch sends `Sec-Fetch-Mode: cors`, like a browser's). */
async function apiCall(target: App, cookie: string | undefined) {
  const response = await fetch(`${target.url}/api/me`, cookie ? { headers: { cookie } } : {})
  const body = (await response.json()) as Record<string, unknown>
  expect(setting(response.headers.getSetCookie()), 'a failure answer sets no cookie').toEqual([])
  return { status: response.status, body, headers: response.headers }
}

/** A browser navigation to `/` (typed URL). */
async function navigation(target: App, cookie: string | undefined) {
  const response = await rawRequest(`${target.url}/`, {
    headers: { ...NAV, ...(cookie ? { cookie } : {}) },
  })
  expect(setting(response.headers['set-cookie']), 'a failure answer sets no cookie').toEqual([])
  return response
}

/** The whole failure contract for a permanent failure of `reason`. */
async function expectLoginRequired(target: App, cookie: string | undefined, reason: string) {
  const api = await apiCall(target, cookie)
  expect(api.status).toBe(401)
  expect(api.body).toEqual({
    error: 'unauthorized',
    error_description: `no valid session (${reason})`,
    login_url: '/login?returnTo=%2Fapi%2Fme',
  })
  expect(api.headers.get('www-authenticate')).toMatch(/^Bearer /)
  const nav = await navigation(target, cookie)
  expect(nav.status).toBe(302)
  expect(nav.headers.location).toBe(`${target.url}/login?returnTo=%2F`)
}

/** The whole failure contract for a transient failure: 503, never a login redirect. */
async function expectUnavailable(target: App, cookie: string) {
  const api = await apiCall(target, cookie)
  expect(api.status).toBe(503)
  expect(api.headers.get('retry-after')).toMatch(/^\d+$/)
  expect(api.body).toMatchObject({ error: 'temporarily_unavailable' })
  const nav = await navigation(target, cookie)
  expect(nav.status).toBe(503)
  expect(nav.headers['retry-after']).toMatch(/^\d+$/)
  expect(nav.headers.location).toBeUndefined()
  expect(nav.headers['content-type']).toMatch(/^text\/html/)
}

function sessionCookie(agent: Agent): string {
  const cookies = agent.jar.all().filter((c) => c.name.startsWith('oidc_session'))
  expect(cookies.map((c) => c.name)).toEqual(['oidc_session'])
  return cookies[0]!.value
}

describe('protect(): permanent failures → 401 to fetch(), 302 to login for navigations', () => {
  it('no session cookie at all', async () => {
    await expectLoginRequired(app, undefined, 'none')
  })

  it('a tampered session cookie', async () => {
    const value = sessionCookie(await loggedIn(app, 'tamper'))
    const flipped = `${value.slice(0, 60)}${value[60] === 'A' ? 'B' : 'A'}${value.slice(61)}`
    await expectLoginRequired(app, `oidc_session=${flipped}`, 'tampered')
  })

  it('incomplete cookie chunks (a chunk missing)', async () => {
    const value = sessionCookie(await loggedIn(app, 'chunks'))
    const half = Math.ceil(value.length / 2)
    // The same sealed session split in two chunks, the second one lost on the way.
    await expectLoginRequired(app, `oidc_session.0=2*${value.slice(0, half)}`, 'incomplete')
    // Both chunks present: the same value is a valid session (so the failure above is the missing chunk).
    const whole = `oidc_session.0=2*${value.slice(0, half)}; oidc_session.1=${value.slice(half)}`
    expect((await apiCall(app, whole)).status).toBe(200)
  })

  it('an expired access token without a refresh token (client without refresh_token grant)', async () => {
    const agent = await loggedIn(noRefresh, 'norefresh')
    const cookie = agent.jar.header(noRefresh.url)
    const loaded = await noRefresh.auth.authenticate({ url: '/', headers: { cookie } })
    expect(loaded.session?.tokens.refreshToken).toBeUndefined()
    expect((await apiCall(noRefresh, cookie)).status).toBe(200)
    clock = 400 // past the access token's expiry
    const api = await fetch(`${noRefresh.url}/api/me`, { headers: { cookie } })
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({
      error_description: 'no valid session (unrefreshable)',
    })
    // The dead session's cookie is deleted (Max-Age=0), nothing is set.
    const lines = api.headers.getSetCookie()
    expect(lines.some((l) => l.startsWith('oidc_session=;'))).toBe(true)
    expect(setting(lines)).toEqual([])
    const nav = await navigation(noRefresh, cookie)
    expect(nav.status).toBe(302)
    expect(nav.headers.location).toBe(`${noRefresh.url}/login?returnTo=%2F`)
    expect(provider.counters.token.refresh_token ?? 0).toBe(0)
  })

  it('a refresh token revoked at the provider (invalid_grant)', async () => {
    const agent = await loggedIn(app, 'revoked')
    const cookie = agent.jar.header(app.url)
    const loaded = await app.auth.authenticate({ url: '/', headers: { cookie } })
    const revoked = await fetch(`${provider.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${app.env.OIDC_CLIENT_ID}:${app.env.OIDC_CLIENT_SECRET}`)}`,
      },
      body: new URLSearchParams({
        token: loaded.session!.tokens.refreshToken!,
        token_type_hint: 'refresh_token',
      }),
    })
    expect(revoked.status).toBe(200)
    clock = 400
    await expectLoginRequired(app, cookie, 'refresh-rejected')
    expect(provider.counters.tokenErrors.invalid_grant).toBeGreaterThanOrEqual(1)
  })

  it('a session ended by back-channel logout (the user logged out at the provider)', async () => {
    const agent = await loggedIn(app, 'backchannel')
    const cookie = agent.jar.header(app.url)
    expect((await apiCall(app, cookie)).status).toBe(200)
    // Log out at the provider directly (not through the app): it notifies the app back-channel.
    const endSession = new URL(`${provider.issuer}/session/end`)
    endSession.searchParams.set('client_id', app.env.OIDC_CLIENT_ID!)
    endSession.searchParams.set('post_logout_redirect_uri', `${app.url}/`)
    await agent.logoutAtProvider(endSession.href)
    expect(provider.counters.backchannelDelivered).toBe(1)
    await expectLoginRequired(app, cookie, 'revoked')
  })

  it('a burst of failing XHRs sets no cookie at all (no 431 from piled-up cookies)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${app.url}/api/me?i=${i}`, { headers: { 'x-requested-with': 'XMLHttpRequest' } }),
      ),
    )
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(401))
    expect(answers.flatMap((a) => a.headers.getSetCookie())).toEqual([])
  })

  it('a form POST navigation returns to the page that held the form, not the POST URL', async () => {
    // The Express example has no protected POST route: call protect() as its middleware does.
    const result = await app.auth.protect({
      url: '/orders/cancel',
      method: 'POST',
      headers: { ...NAV, referer: `${app.url}/orders?id=7` },
    })
    expect(result.response?.status).toBe(302)
    expect(result.response?.headers.get('location')).toBe(
      `${app.url}/login?returnTo=%2Forders%3Fid%3D7`,
    )
  })
})

describe('protect(): transient failures → 503, never a login redirect', () => {
  it('the Redis session store is down', async () => {
    const agent = await loggedIn(redisApp, 'redis-down')
    const cookie = agent.jar.header(redisApp.url)
    expect((await apiCall(redisApp, cookie)).status).toBe(200)
    await redis.stop()
    try {
      await expectUnavailable(redisApp, cookie)
      expect((await apiCall(redisApp, cookie)).body).toMatchObject({
        error_description: 'session check failed: store-unavailable',
      })
    } finally {
      await redis.start()
    }
  })

  it('the provider is stopped while a refresh is due (runs last: it closes the provider)', async () => {
    const agent = await loggedIn(app, 'provider-down')
    const cookie = agent.jar.header(app.url)
    expect((await apiCall(app, cookie)).status).toBe(200)
    await provider.close()
    providerStopped = true
    clock = 400 // the access token has expired: a refresh is needed and cannot happen
    await expectUnavailable(app, cookie)
    expect((await apiCall(app, cookie)).body).toMatchObject({
      error_description: 'session check failed: provider-unavailable',
    })
    // The session survives the outage: the cookie was not deleted.
    const api = await fetch(`${app.url}/api/me`, { headers: { cookie } })
    expect(api.headers.getSetCookie()).toEqual([])
  })
})
