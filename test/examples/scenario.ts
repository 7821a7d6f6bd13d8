/**
 * The shared scenario every example runs, through the real provider (oidc-provider, refresh-token
 * rotation on) and a real Redis: each stack's test file calls {@link scenario} with a way to serve
 * its example's app in-process.
 *
 * For each of four set-ups — cookie store alone; Redis store; cookie store ×2 instances on Redis;
 * Redis store ×2 instances — it walks one storyline:
 * 1. unauthenticated: API fetch → 401 JSON, navigation → 302 to `/login`;
 * 2. login, `/api/me` and `/api/userinfo` (on every instance);
 * 3. after the access token expired, 50 concurrent API calls (spread over the instances, all with
 *    the pre-refresh cookie) → all 200, exactly one refresh call at the provider;
 * 4. a late request with the pre-refresh cookie is served, without another refresh;
 * 5. logout (with the pre-refresh cookie) → 302 to end-session with the freshest id_token as
 *    hint; the pre-logout cookies (fresh and stale) are refused everywhere;
 * 6. back-channel logout from the provider ends another user's session on every instance.
 *
 * Time is moved with the app's injected clock, never slept on. Last, the example is started as a
 * user would (`npm run example -- <name>`, Redis store) and checked against the contract.
 */
import type { Server } from 'node:http'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OidcSession } from 'oidc-session'
import { createAuth, type Closable, type ExampleEnv } from '../../examples/shared/index.js'
import { Agent } from '../fixtures/agent.js'
import { NAVIGATION_HEADERS as NAV, rawRequest } from '../fixtures/navigate.js'
import { freePort, startProvider, type TestProvider } from '../fixtures/provider.js'
import { startRedis, type TestRedis } from '../fixtures/redis.js'
import { ensureBuilt, spawnExample } from './spawn.js'

/** How a stack's test serves its example in-process. */
export interface Stack {
  /** The example's name (`examples/<name>`, `npm run example -- <name>`). */
  name: string
  /** Serve the example's app for `env` with `auth` on `127.0.0.1:port`. */
  start(env: ExampleEnv, auth: OidcSession, port: number): Promise<Closable>
}

/** One set-up of the scenario. */
interface Row {
  store: 'cookie' | 'redis'
  instances: 1 | 2
  redis: boolean
}

const ROWS: Row[] = [
  { store: 'cookie', instances: 1, redis: false },
  { store: 'redis', instances: 1, redis: true },
  { store: 'cookie', instances: 2, redis: true },
  { store: 'redis', instances: 2, redis: true },
]

const SECRET = 'examples-scenario-secret-examples-scenario-0123'
const API = { accept: 'application/json' }
/** Access tokens live 120 s at the provider; the scenario moves the apps' clocks past that. */
const ACCESS_TTL = 120
/** id_tokens outlive the clock jump, so that logout needs no refresh of its own. */
const ID_TTL = 3600
const BURST = 50

/** Register the scenario for `stack`. */
export function scenario(stack: Stack): void {
  let provider: TestProvider
  let redis: TestRedis

  beforeAll(async () => {
    ;[provider, redis] = await Promise.all([
      startProvider({ accessTokenTtl: ACCESS_TTL, idTokenTtl: ID_TTL, rotateRefreshToken: true }),
      startRedis(),
    ])
  })

  afterAll(async () => {
    await provider?.close()
    await redis?.close()
  })

  describe.each(ROWS)(
    `${stack.name} example: $store store, $instances instance(s)`,
    ({ store, instances, redis: useRedis }) => {
      const tag = `${stack.name}-${store}-${instances}`
      const skew = { seconds: 0 }
      const now = () => Date.now() + skew.seconds * 1000
      const urls: string[] = []
      const auths: OidcSession[] = []
      const running: Closable[] = []
      const clients: Redis[] = []
      const user = new Agent()
      let preRefresh = ''
      let fresh = ''

      beforeAll(async () => {
        const ports = await Promise.all(Array.from({ length: instances }, () => freePort()))
        urls.push(...ports.map((port) => `http://127.0.0.1:${port}`))
        const clientId = `scenario-${tag}`
        const clientSecret = `${clientId}-secret-${clientId}-secret-0123456789`
        await provider.registerClient({
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: urls.map((url) => `${url}/callback`),
          post_logout_redirect_uris: urls.map((url) => `${url}/`),
          backchannel_logout_uri: `${urls[0]}/backchannel-logout`,
          backchannel_logout_session_required: true,
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        })
        for (const port of ports) {
          const env: ExampleEnv = {
            OIDC_ISSUER: provider.issuer,
            OIDC_CLIENT_ID: clientId,
            OIDC_CLIENT_SECRET: clientSecret,
            APP_URL: `http://127.0.0.1:${port}`,
            PORT: String(port),
            SESSION_SECRET: SECRET,
            SESSION_STORE: store,
            ...(useRedis ? { REDIS_URL: redis.url } : {}),
          }
          // Each instance has its own Redis connection, as separate processes would.
          const client = useRedis ? new Redis(redis.url) : undefined
          if (client) clients.push(client)
          const auth = createAuth(env, undefined, { now, ...(client ? { redis: client } : {}) })
          auths.push(auth)
          running.push(await stack.start(env, auth, port))
        }
      })

      afterAll(async () => {
        await Promise.all(running.map((server) => server.close()))
        for (const client of clients) client.disconnect()
      })

      const at = (i: number) => urls[i % urls.length] as string

      it('answers an unauthenticated API call 401 JSON and a navigation 302 to /login', async () => {
        for (const url of urls) {
          const api = await fetch(`${url}/api/me`, { headers: API })
          expect(api.status).toBe(401)
          expect(api.headers.get('content-type')).toMatch(/^application\/json/)
          expect(await api.json()).toMatchObject({
            error: 'unauthorized',
            login_url: '/login?returnTo=%2Fapi%2Fme',
          })
          const nav = await rawRequest(`${url}/`, { headers: NAV })
          expect(nav.status).toBe(302)
          expect(nav.headers.location).toBe(`${url}/login?returnTo=%2F`)
        }
      })

      it('logs in, then serves /api/me and /api/userinfo on every instance', async () => {
        const { response, url } = await user.login(`${at(0)}/login?returnTo=/`, {
          username: `alice-${tag}`,
        })
        expect(response.status).toBe(200)
        expect(new URL(url).pathname).toBe('/')
        expect(await response.text()).toContain(`Signed in as alice-${tag}`)
        for (const url of urls) {
          const me = await user.fetch(`${url}/api/me`, { headers: API })
          expect(me.status).toBe(200)
          expect(me.headers.get('cache-control')).toBe('no-store')
          const body = (await me.json()) as { sub: string; sid: string | null; expiresAt: number }
          expect(body.sub).toBe(`alice-${tag}`)
          expect(typeof body.sid).toBe('string')
          expect(body.expiresAt).toBeGreaterThan(Date.now() / 1000)
          const info = await user.fetch(`${url}/api/userinfo`, { headers: API })
          expect(info.status).toBe(200)
          expect(((await info.json()) as { sub: string }).sub).toBe(`alice-${tag}`)
        }
      })

      it(`after expiry, ${BURST} concurrent API calls all succeed with exactly one refresh`, async () => {
        preRefresh = user.jar.header(at(0))
        provider.counters.reset()
        skew.seconds = ACCESS_TTL + 60
        const responses = await Promise.all(
          Array.from({ length: BURST }, (_, i) =>
            fetch(`${at(i)}/api/me?n=${i}`, { headers: { ...API, cookie: preRefresh } }),
          ),
        )
        const bodies = await Promise.all(
          responses.map((r) => r.json() as Promise<{ sub?: string }>),
        )
        expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200))
        expect(bodies.every((b) => b.sub === `alice-${tag}`)).toBe(true)
        expect(provider.counters.token.refresh_token).toBe(1)
        // The browser keeps the last cookie it was sent; every answer of the burst may carry one.
        for (const [i, r] of responses.entries()) user.jar.store(at(i), r.headers.getSetCookie())
        fresh = user.jar.header(at(0))
        if (store === 'cookie') expect(fresh).not.toBe(preRefresh)
        for (const url of urls) {
          expect((await user.fetch(`${url}/api/userinfo`, { headers: API })).status).toBe(200)
        }
        expect(provider.counters.token.refresh_token).toBe(1)
      })

      it('serves a late request that still carries the pre-refresh cookie', async () => {
        for (const url of urls) {
          const late = await fetch(`${url}/api/me`, { headers: { ...API, cookie: preRefresh } })
          expect(late.status).toBe(200)
          expect(((await late.json()) as { sub: string }).sub).toBe(`alice-${tag}`)
        }
        expect(provider.counters.token.refresh_token).toBe(1)
        expect(provider.counters.tokenErrors.invalid_grant ?? 0).toBe(0)
      })

      it('logs out with the freshest id_token as hint and refuses the pre-logout cookies', async () => {
        const current = await auths[0]!.authenticate({ url: '/', headers: { cookie: fresh } })
        expect(current.ok).toBe(true)
        const freshest = current.session!.tokens.idToken
        const last = at(instances - 1)
        // The stale cookie logs out: the library follows the refresh it has not seen.
        const logout = await fetch(`${last}/logout`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: preRefresh, origin: last, 'sec-fetch-site': 'same-origin' },
        })
        expect(logout.status).toBe(302)
        const endSession = new URL(logout.headers.get('location')!)
        expect(endSession.href.startsWith(`${provider.issuer}/`)).toBe(true)
        expect(endSession.searchParams.get('id_token_hint')).toBe(freshest)
        expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${last}/`)
        expect(logout.headers.getSetCookie().some((line) => /max-age=0/i.test(line))).toBe(true)
        const done = await user.logoutAtProvider(endSession.href)
        expect(new URL(done.url).origin).toBe(last)
        for (const url of urls) {
          for (const cookie of [fresh, preRefresh]) {
            const replay = await fetch(`${url}/api/me`, { headers: { ...API, cookie } })
            expect(replay.status).toBe(401)
          }
        }
      })

      it('ends a session on every instance when the provider sends a back-channel logout', async () => {
        skew.seconds = 0 // logout tokens live 2 minutes, in the provider's (real) time
        const bob = new Agent()
        const { response } = await bob.login(`${at(instances - 1)}/login?returnTo=/api/me`, {
          username: `bob-${tag}`,
        })
        expect(response.status).toBe(200)
        const cookie = bob.jar.header(at(0))
        for (const url of urls) {
          expect((await fetch(`${url}/api/me`, { headers: { ...API, cookie } })).status).toBe(200)
        }
        provider.counters.reset()
        const end = new URL(`${provider.issuer}/session/end`)
        end.searchParams.set('client_id', `scenario-${tag}`)
        await bob.logoutAtProvider(end.href)
        expect(provider.counters.backchannelDelivered).toBe(1)
        expect(provider.counters.backchannelFailed).toBe(0)
        for (const url of urls) {
          const me = await fetch(`${url}/api/me`, { headers: { ...API, cookie } })
          expect(me.status).toBe(401)
          expect(await me.json()).toMatchObject({ error_description: 'no valid session (revoked)' })
        }
      })
    },
  )

  contract(
    stack.name,
    () => provider,
    () => redis,
  )
}

/** The contract, against the example started by `npm run example -- <name>`. */
function contract(name: string, provider: () => TestProvider, redis: () => TestRedis): void {
  it(`npm run example -- ${name}: ready when GET / answers, then the contract's routes`, async () => {
    await ensureBuilt()
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const clientId = `spawned-${name}`
    const clientSecret = `${clientId}-secret-${clientId}-secret-0123456789`
    await provider().registerClient({
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [`${url}/callback`],
      post_logout_redirect_uris: [`${url}/`],
      backchannel_logout_uri: `${url}/backchannel-logout`,
      backchannel_logout_session_required: true,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })
    const example = await spawnExample(name, url, {
      OIDC_ISSUER: provider().issuer,
      OIDC_CLIENT_ID: clientId,
      OIDC_CLIENT_SECRET: clientSecret,
      APP_URL: url,
      PORT: String(port),
      SESSION_SECRET: `${SECRET},previous-secret-previous-secret-previous-0123`,
      SESSION_STORE: 'redis',
      REDIS_URL: redis().url,
    })
    try {
      const nav = await rawRequest(`${url}/`, { headers: NAV })
      expect([nav.status, nav.headers.location]).toEqual([302, `${url}/login?returnTo=%2F`])
      expect((await fetch(`${url}/api/me`, { headers: API })).status).toBe(401)
      const agent = new Agent()
      const { response } = await agent.login(`${url}/login?returnTo=/`, {
        username: `${name}-user`,
      })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^text\/html/)
      expect(await response.text()).toContain(`Signed in as ${name}-user`)
      const me = await agent.fetch(`${url}/api/me`, { headers: API })
      expect(((await me.json()) as { sub: string }).sub).toBe(`${name}-user`)
      const info = await agent.fetch(`${url}/api/userinfo`, { headers: API })
      expect(((await info.json()) as { sub: string }).sub).toBe(`${name}-user`)
      const crossSite = await agent.fetch(`${url}/logout`, {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      })
      expect(crossSite.status).toBe(403)
      const logout = await agent.fetch(`${url}/logout`, {
        method: 'POST',
        headers: { origin: url },
      })
      expect(logout.status).toBe(302)
      expect(
        new URL(logout.headers.get('location')!).searchParams.get('id_token_hint'),
      ).toBeTruthy()
      expect((await agent.fetch(`${url}/api/me`, { headers: API })).status).toBe(401)
      expect(example.output()).toContain(`${name} example listening on ${url}`)
    } finally {
      await example.stop()
    }
  }, 300_000) // the first example started in a run may build the library first
}

/** Serve a `node:http` request listener on `127.0.0.1:port`. */
export function serveNode(server: Server, port: number): Promise<Closable> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () =>
      resolve({
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      }),
    )
  })
}
