/**
 * Redis-backed sessions, side by side on one private Redis: oidc-session's `redisStore` behind
 * `protect()` against express-session + connect-redis, both serving the same `GET /api/me` through
 * Express over loopback HTTP with keep-alive, for the same token set. Reports requests per second
 * (interleaved rounds, so machine noise hits both) and Redis commands per request (the server's
 * own `INFO commandstats`).
 *
 * Run: `npx tsx bench/redis-store/index.ts` (part of `npm run bench`).
 */
import '../node-backend.js'
import { Agent, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RedisStore } from 'connect-redis'
import express from 'express'
import session from 'express-session'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { CookieJar, createOidcSession, type Session } from '../../src/index.js'
import { protect } from '../../src/adapters/express/index.js'
import { redisStore } from '../../src/stores/redis/index.js'
import { startRedis } from '../../test/fixtures/redis.js'
import { report } from '../report.js'

const ROUNDS = 6
const PER_ROUND = 1500
const CONCURRENCY = 16
const SECRET = 'bench-secret-bench-secret-bench-secret-0123'
const b64 = (n: number) => Buffer.alloc(n, 7).toString('base64url')
const now = Math.floor(Date.now() / 1000)
const tokens = {
  accessToken: `${b64(36)}.${b64(900)}.${b64(256)}`,
  idToken: `${b64(36)}.${b64(700)}.${b64(256)}`,
  refreshToken: b64(32),
  tokenType: 'Bearer',
  expiresAt: now + 3600,
}

const redis = await startRedis()
const io = new Redis(redis.url)
const nodeRedis = createClient({ url: redis.url })
nodeRedis.on('error', () => undefined)
await nodeRedis.connect()

async function commandCount(): Promise<number> {
  const info = (await io.info('commandstats')) as string
  let total = 0
  for (const match of info.matchAll(/calls=(\d+)/g)) total += Number(match[1])
  return total
}

async function listen(app: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => server.close(() => r())),
  }
}

// oidc-session: redisStore + protect(). The session is fresh, so no provider call is ever made.
const auth = createOidcSession({
  issuer: 'http://127.0.0.1:9/unused',
  client: { id: 'bench', secret: 'bench-client-secret' },
  redirectUri: 'http://127.0.0.1:9/callback',
  secrets: [SECRET],
  store: redisStore({ client: io }),
})
const ours = express()
ours.get('/api/me', protect(auth), (req, res) => {
  const s = req.oidc!.session!
  res.json({ sub: s.sub, sid: s.sid ?? null, expiresAt: s.tokens.expiresAt ?? null })
})
const jar = new CookieJar(undefined)
const fresh: Session = {
  id: 'bench',
  version: 0,
  createdAt: now,
  expiresAt: now + 86400,
  sub: 'alice',
  sid: 'sid-1',
  tokens,
}
await auth.store.save(
  { jar, cookie: { name: 'oidc_session', attributes: { secure: false } }, now },
  fresh,
)
const ourCookie = jar.setCookieLines()[0]!.split(';')[0]!

// express-session + connect-redis (node-redis client, as connect-redis 9 requires), same data.
const theirs = express()
theirs.use(
  session({
    store: new RedisStore({ client: nodeRedis }),
    secret: SECRET,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: false, maxAge: 86400_000 },
  }),
)
theirs.get('/login', (req, res) => {
  Object.assign(req.session, { sub: 'alice', sid: 'sid-1', tokens })
  res.json({ ok: true })
})
theirs.get('/api/me', (req, res) => {
  const s = req.session as unknown as { sub?: string; sid?: string; tokens?: typeof tokens }
  if (!s.sub) return void res.status(401).json({ error: 'unauthorized' })
  res.json({ sub: s.sub, sid: s.sid ?? null, expiresAt: s.tokens?.expiresAt ?? null })
})

const a = await listen(ours)
const b = await listen(theirs)
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })

function get(url: string, cookie: string): Promise<{ status: number; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { cookie, accept: 'application/json' } }, (res) => {
      res.resume()
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [] }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

const login = await get(`${b.url}/login`, '')
const theirCookie = login.setCookie[0]!.split(';')[0]!

async function burst(url: string, cookie: string, n: number): Promise<number> {
  let next = 0
  let failures = 0
  const worker = async () => {
    while (next < n) {
      next++
      if ((await get(url, cookie)).status !== 200) failures++
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  if (failures > 0) throw new Error(`${failures} requests failed at ${url}`)
  return n / ((performance.now() - start) / 1000)
}

const contenders = [
  {
    name: 'oidc-session redisStore + protect()',
    url: `${a.url}/api/me`,
    cookie: ourCookie,
    rps: [] as number[],
    commands: 0,
  },
  {
    name: 'express-session + connect-redis',
    url: `${b.url}/api/me`,
    cookie: theirCookie,
    rps: [] as number[],
    commands: 0,
  },
]
for (const c of contenders) await burst(c.url, c.cookie, 300) // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const c of round % 2 === 0 ? contenders : [...contenders].reverse()) {
    const before = await commandCount()
    c.rps.push(await burst(c.url, c.cookie, PER_ROUND))
    c.commands += (await commandCount()) - before - 1 // minus the INFO call itself
  }
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!
const theirsRps = median(contenders[1]!.rps)
console.log(
  `Redis-backed sessions: GET /api/me through Express, keep-alive, concurrency ${CONCURRENCY}, ${ROUNDS} interleaved rounds of ${PER_ROUND}\n`,
)
console.log('| contender | requests/s (median) | × express-session | Redis commands per request |')
console.log('|---|---:|---:|---:|')
for (const c of contenders) {
  const rps = median(c.rps)
  console.log(
    `| ${c.name} | ${rps.toFixed(0)} | ${(rps / theirsRps).toFixed(2)}× | ${(c.commands / (ROUNDS * PER_ROUND)).toFixed(2)} |`,
  )
}

// Rows for bench/results.json (npm run bench).
report(
  'redis-store',
  contenders.flatMap((c, i) => [
    {
      row: 'Redis session, GET /api/me through Express (requests/s, median)',
      contender: c.name,
      figure: median(c.rps),
      unit: 'requests/s',
      better: 'higher' as const,
      runs: ROUNDS,
      reference: i === 1,
    },
    {
      row: 'Redis commands per request',
      contender: c.name,
      figure: c.commands / (ROUNDS * PER_ROUND),
      unit: 'commands',
      better: 'lower' as const,
      runs: ROUNDS * PER_ROUND,
      reference: i === 1,
    },
  ]),
)

// Best-effort cleanup, bounded: the figures are printed, the process ends either way.
agent.destroy()
await Promise.race([
  Promise.allSettled([a.close(), b.close(), nodeRedis.quit(), redis.close()]),
  new Promise((resolve) => setTimeout(resolve, 2000).unref()),
])
io.disconnect()
process.exit(0)
