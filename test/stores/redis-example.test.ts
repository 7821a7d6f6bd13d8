/**
 * The Express example with `SESSION_STORE=redis` against the real provider and a private Redis:
 * login → /api/me → logout, with a cookie that holds only a ticket and Redis holding no token.
 */
import type { Server } from 'node:http'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CookieJar } from 'oidc-session'
import { redisStore, toRedisClient, type RedisClient } from 'oidc-session/redis'
import { createApp, createAuth, type ExampleEnv } from '../../examples/express/app.js'
import { Agent } from '../fixtures/agent.js'
import { clientMetadata, freePort, startProvider, type TestProvider } from '../fixtures/provider.js'
import { startRedis, type TestRedis } from '../fixtures/redis.js'

const API = { accept: 'application/json' }

let provider: TestProvider
let redis: TestRedis
let admin: Redis
let server: Server
let countedServer: Server
let appUrl: string
let countedUrl: string
/** Commands sent by the second app's store (a counting wrapper around its ioredis client). */
const commands: string[] = []

async function register(url: string, id: string, secret: string) {
  await provider.registerClient(clientMetadata(url, { client_id: id, client_secret: secret }))
}

function listen(app: ReturnType<typeof createApp>, port: number): Promise<Server> {
  return new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s))
  })
}

beforeAll(async () => {
  redis = await startRedis()
  admin = new Redis(redis.url)
  admin.on('error', () => undefined)
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
  const port = await freePort()
  appUrl = `http://127.0.0.1:${port}`
  const env: ExampleEnv = {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: 'redis-example',
    OIDC_CLIENT_SECRET: 'redis-example-secret-redis-example-secret-0123',
    APP_URL: appUrl,
    PORT: String(port),
    SESSION_SECRET: 'redis-example-session-secret-0123456789abcdef',
    SESSION_STORE: 'redis',
    REDIS_URL: redis.url,
  }
  await register(appUrl, env.OIDC_CLIENT_ID!, env.OIDC_CLIENT_SECRET!)
  server = await listen(createApp(env), port) // the store comes from SESSION_STORE/REDIS_URL

  // A second instance whose store counts its Redis commands (round trips).
  const countedPort = await freePort()
  countedUrl = `http://127.0.0.1:${countedPort}`
  const countedEnv: ExampleEnv = {
    ...env,
    OIDC_CLIENT_ID: 'redis-example-counted',
    APP_URL: countedUrl,
    PORT: String(countedPort),
  }
  await register(countedUrl, countedEnv.OIDC_CLIENT_ID!, countedEnv.OIDC_CLIENT_SECRET!)
  const inner = toRedisClient(admin)
  const counting: RedisClient = {
    command(key, args) {
      commands.push(String(args[0]))
      return inner.command(key, args)
    },
    subscribe: (channel, listener) => inner.subscribe(channel, listener),
  }
  const store = redisStore({ client: counting, keyPrefix: 'counted:', idleTimeout: 3600 })
  countedServer = await listen(createApp(countedEnv, createAuth(countedEnv, store)), countedPort)
})

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await new Promise((resolve) => countedServer?.close(resolve))
  await provider?.close()
  admin?.disconnect()
  // The example's own client keeps reconnecting until the process ends: keep the log quiet.
  vi.spyOn(console, 'error').mockImplementation(() => undefined)
  await redis?.close()
})

describe('express example with SESSION_STORE=redis', () => {
  it('logs in, serves /api/me from Redis, keeps only a ticket in the cookie, logs out', async () => {
    const agent = new Agent()
    const { response, url } = await agent.login(`${appUrl}/login?returnTo=/`, {
      username: 'alice',
    })
    expect(response.status).toBe(200)
    expect(new URL(url).pathname).toBe('/')

    const cookies = agent.jar.all().filter((c) => c.name.startsWith('oidc_session'))
    expect(cookies.map((c) => c.name)).toEqual(['oidc_session'])
    const ticket = cookies[0]!.value
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/) // id.key, nothing else

    const me = await agent.fetch(`${appUrl}/api/me`, { headers: API })
    expect(me.status).toBe(200)
    const body = (await me.json()) as { sub: string; sid: string | null; expiresAt: number }
    expect(body.sub).toBe('alice')
    expect(typeof body.sid).toBe('string')

    // The session is in Redis, sealed: the dump holds none of its tokens, nor the ticket.
    const reader = redisStore({ client: admin })
    const loaded = await reader.load({
      jar: new CookieJar(`oidc_session=${ticket}`),
      cookie: { name: 'oidc_session', attributes: {} },
      now: Math.floor(Date.now() / 1000),
    })
    expect(loaded.session?.sub).toBe('alice')
    const keys = await admin.keys('oidc-session:session:*')
    expect(keys.length).toBe(3) // session + sub index + sid index
    const dump: string[] = []
    for (const key of keys) {
      dump.push(key)
      dump.push(
        (await admin.type(key)) === 'set'
          ? (await admin.smembers(key)).join(',')
          : ((await admin.get(key)) ?? ''),
      )
    }
    const all = dump.join('\n')
    const tokens = loaded.session!.tokens
    for (const secret of [tokens.accessToken, tokens.refreshToken, tokens.idToken, ticket]) {
      expect(secret).toBeTruthy()
      expect(all).not.toContain(secret!)
    }
    expect(all).not.toContain(ticket.split('.')[0]!)
    expect(await reader.findBySub('alice')).toHaveLength(1)

    const logout = await agent.fetch(`${appUrl}/logout`, {
      method: 'POST',
      headers: { origin: appUrl },
    })
    expect(logout.status).toBe(302)
    expect(agent.jar.all().filter((c) => c.name.startsWith('oidc_session'))).toEqual([])
    // The old ticket is dead: a replayed cookie is refused and Redis holds a tombstone.
    const replay = await fetch(`${appUrl}/api/me`, {
      headers: { ...API, cookie: `oidc_session=${ticket}` },
    })
    expect(replay.status).toBe(401)
    expect(await replay.json()).toMatchObject({ error_description: 'no valid session (revoked)' })
    expect(await reader.findBySub('alice')).toEqual([])
  })

  it('an authenticated API request costs ONE Redis round trip end to end', async () => {
    const agent = new Agent()
    const { response } = await agent.login(`${countedUrl}/login?returnTo=/`, { username: 'bob' })
    expect(response.status).toBe(200)
    expect((await agent.fetch(`${countedUrl}/api/me`, { headers: API })).status).toBe(200) // warm-up
    commands.length = 0
    const N = 20
    for (let i = 0; i < N; i++) {
      const me = await agent.fetch(`${countedUrl}/api/me`, { headers: API })
      expect(me.status).toBe(200)
      expect(((await me.json()) as { sub: string }).sub).toBe('bob')
    }
    console.log(
      `express example, /api/me with redisStore (idle timeout on): ${commands.length} Redis commands for ${N} requests (${[...new Set(commands)].join(',')})`,
    )
    expect(commands).toEqual(Array.from({ length: N }, () => 'EVALSHA'))
  })
})
