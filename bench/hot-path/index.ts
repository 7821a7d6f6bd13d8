/**
 * `npm run bench -- hot-path`: the hot path, a request carrying a valid session (access token
 * fresh: no provider call), against the peers, all in one run on one private Redis:
 *
 * 1. **Web `Request` in → session out**, in process, sequential awaits, contenders in interleaved
 *    slices: `auth.authenticate(request)` with the cookie store (the same cookie again, and a new
 *    cookie every request) and with the Redis store; iron-session `getIronSession(request,
 *    response)`; @auth/core `Auth()` on its session route with the JWT strategy and its real
 *    cookie (what next-auth's `auth()` runs).
 * 2. **Through Express** (5.x), a protected `GET /api/me` over loopback HTTP, keep-alive,
 *    concurrency 16, interleaved rounds: `protect(auth)` with each store; iron-session in a
 *    middleware; express-openid-connect (`appSession` cookie, `requiresAuth()`); express-session +
 *    connect-redis.
 *
 * Every contender opens the same login (~1 KB RS256 access token and id_token, refresh token) and
 * answers the subject; each is checked to return the session before it is timed. Figures are
 * ratios within the run: the machine is shared, absolute numbers are noise.
 */
import '../node-backend.js'
import { Agent, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { Auth } from '@auth/core'
import { encode as encodeAuthJwt } from '@auth/core/jwt'
import { RedisStore } from 'connect-redis'
import express from 'express'
import session from 'express-session'
import { getIronSession, sealData } from 'iron-session'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { CookieJar, createOidcSession, type OidcSession } from '../../src/index.js'
import { protect } from '../../src/adapters/express/index.js'
import { redisStore } from '../../src/stores/redis/index.js'
import { startRedis } from '../../test/fixtures/redis.js'
import { report, type RowInput } from '../report.js'
import { NOW, ourSession, peerTokens, SID, SUB } from './tokens.js'

const require = createRequire(import.meta.url)
const SECRET = 'bench-secret-bench-secret-bench-secret-0123'
const WEB_MS = Number(process.env.BENCH_MS ?? 3000)
const WEB_ROUNDS = 12
const HTTP_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6)
const PER_ROUND = Number(process.env.BENCH_REQUESTS ?? 1500)
const CONCURRENCY = 16
const APP = 'http://127.0.0.1:3000'

const redis = await startRedis()
const io = new Redis(redis.url)
const nodeRedis = createClient({ url: redis.url })
nodeRedis.on('error', () => undefined)
await nodeRedis.connect()

// ── oidc-session: the same configuration twice, cookie store and Redis store ────────────────────
const base = {
  issuer: 'http://127.0.0.1:9/unused', // a fresh session never reaches the provider
  client: { id: 'bench', secret: 'bench-client-secret' },
  redirectUri: `${APP}/callback`,
  secrets: [SECRET],
}
const cookieAuth = createOidcSession(base)
// As bench/redis-store: the default (in-process) revocation list, so one Redis command a request;
// its warning about that is expected here.
const redisAuth = createOidcSession({
  ...base,
  store: redisStore({ client: io }),
  logger: { warn: () => undefined },
})
const COOKIE = { name: 'oidc_session', attributes: { httpOnly: true, secure: false, path: '/' } }
/** Our Cookie header for a session saved by `auth`'s store (what the callback would set). */
async function ourCookie(auth: OidcSession, version = 0): Promise<string> {
  const jar = new CookieJar(undefined)
  await auth.store.save({ jar, cookie: COOKIE, now: NOW }, ourSession(version))
  return jar
    .setCookieLines()
    .map((line) => line.slice(0, line.indexOf(';')))
    .join('; ')
}
const cookieHeader = await ourCookie(cookieAuth)
const redisHeader = await ourCookie(redisAuth)
// 512 sealings of the same login: more than the cookie store's cache of opened values, so cycling
// through them opens a cookie it has not seen (what a process sees for each user's first request).
const coldHeaders: string[] = []
for (let v = 1; coldHeaders.length < 512; v++) coldHeaders.push(await ourCookie(cookieAuth, v))

// ── Peers ───────────────────────────────────────────────────────────────────────────────────
const IRON = { password: SECRET, cookieName: 'iron_session', cookieOptions: { secure: false } }
const ironHeader = `iron_session=${await sealData({ sub: SUB, sid: SID, ...peerTokens }, { password: SECRET })}`

const AUTH_COOKIE = 'authjs.session-token' // plain HTTP: no __Secure- prefix
const authConfig = {
  secret: SECRET,
  trustHost: true,
  basePath: '/api/auth',
  session: { strategy: 'jwt' as const },
  providers: [],
  logger: { error: (e: Error) => console.error(e), warn: () => undefined, debug: () => undefined },
}
const authHeader = `${AUTH_COOKIE}=${await encodeAuthJwt({
  // Auth.js's default JWT (name, email, picture, sub) plus the tokens, as its guides add them.
  token: { name: 'Alice Liddell', email: 'alice@example.com', sub: SUB, ...peerTokens },
  secret: SECRET,
  salt: AUTH_COOKIE,
  maxAge: 30 * 86400,
})}`

const eocCrypto = require('express-openid-connect/lib/crypto.js') as {
  encryptSync(payload: string, key: Buffer, headers: Record<string, number>): string
  encryption(secret: string): Buffer
}
const eoc = require('express-openid-connect') as {
  auth(config: Record<string, unknown>): express.RequestHandler
  requiresAuth(): express.RequestHandler
}
const nowS = Math.floor(Date.now() / 1000)
const eocHeader = `appSession=${eocCrypto.encryptSync(
  JSON.stringify({ ...peerTokens, sid: SID }),
  eocCrypto.encryption(SECRET),
  { iat: nowS, uat: nowS, exp: nowS + 86400 },
)}`

// ── 1. Web Request in → session out ─────────────────────────────────────────────────────────
const webRequest = (cookie: string, path = '/api/me') =>
  new Request(`${APP}${path}`, { headers: { cookie, accept: 'application/json' } })
async function ours(auth: OidcSession, cookie: string): Promise<string | undefined> {
  const result = await auth.authenticate(webRequest(cookie))
  return result.ok && result.reason === 'valid' ? result.session.sub : undefined
}
interface WebContender {
  name: string
  store: 'cookie' | 'redis'
  peer: boolean
  run(i: number): Promise<string | undefined>
}
const web: WebContender[] = [
  {
    name: 'oidc-session authenticate(), cookie store, same cookie again',
    store: 'cookie',
    peer: false,
    run: () => ours(cookieAuth, cookieHeader),
  },
  {
    name: 'oidc-session authenticate(), cookie store, a new cookie every request',
    store: 'cookie',
    peer: false,
    run: (i) => ours(cookieAuth, coldHeaders[i % coldHeaders.length]!),
  },
  {
    name: 'iron-session getIronSession(Request, Response)',
    store: 'cookie',
    peer: true,
    run: async () => {
      const s = await getIronSession<{ sub?: string }>(webRequest(ironHeader), new Response(), IRON)
      return s.sub
    },
  },
  {
    name: '@auth/core Auth() session route, JWT strategy (next-auth auth())',
    store: 'cookie',
    peer: true,
    run: async () => {
      const res = await Auth(webRequest(authHeader, '/api/auth/session'), authConfig)
      const body = (await res.json()) as { user?: { email?: string } } | null
      // Its default session callback keeps name, email and image, not the subject.
      return body?.user?.email === 'alice@example.com' ? SUB : undefined
    },
  },
  {
    name: 'oidc-session authenticate(), Redis store',
    store: 'redis',
    peer: false,
    run: () => ours(redisAuth, redisHeader),
  },
]
for (const c of web) {
  for (let i = 0; i < 300; i++) {
    const sub = await c.run(i)
    if (sub !== SUB) throw new Error(`${c.name} did not return the session (got ${sub})`)
  }
}
const webOps = web.map(() => ({ ops: 0, ms: 0 }))
const slice = WEB_MS / WEB_ROUNDS
for (let round = 0; round < WEB_ROUNDS; round++) {
  for (const [k, c] of web.entries()) {
    const tally = webOps[k]!
    const start = performance.now()
    const until = start + slice
    while (performance.now() < until) {
      for (let j = 0; j < 10; j++) await c.run(tally.ops++)
    }
    tally.ms += performance.now() - start
  }
}
const webRows = web.map((c, k) => ({
  ...c,
  perSecond: (webOps[k]!.ops * 1000) / webOps[k]!.ms,
}))

// ── 2. Through Express ──────────────────────────────────────────────────────────────────────
interface Served {
  name: string
  store: 'cookie' | 'redis'
  peer: boolean
  app: express.Express
  cookie: string
  url?: string
  rps: number[]
  close?: () => Promise<void>
}
const answer = (res: express.Response, sub: string | undefined) =>
  sub ? res.json({ sub }) : res.status(401).json({ error: 'unauthorized' })

function oursApp(auth: OidcSession): express.Express {
  const app = express()
  app.get('/api/me', protect(auth), (req, res) => {
    answer(res, req.oidc!.session!.sub)
  })
  return app
}
const ironApp = express()
ironApp.use((req, res, next) => {
  getIronSession<{ sub?: string }>(req, res, IRON).then((s) => {
    if (!s.sub) return void res.status(401).json({ error: 'unauthorized' })
    res.locals.sub = s.sub
    next()
  }, next)
})
ironApp.get('/api/me', (_req, res) => {
  answer(res, res.locals.sub as string | undefined)
})
const eocApp = express()
eocApp.use(
  eoc.auth({
    issuerBaseURL: 'http://127.0.0.1:9/unused',
    baseURL: 'http://127.0.0.1:3000',
    clientID: 'bench',
    clientSecret: 'bench-client-secret',
    secret: SECRET,
    authRequired: false,
    idpLogout: false,
    session: { cookie: { secure: false } },
    authorizationParams: { response_type: 'code' },
  }),
)
eocApp.get('/api/me', eoc.requiresAuth(), (req, res) => {
  const oidc = (req as unknown as { oidc: { user?: { sub?: string } } }).oidc
  answer(res, oidc.user?.sub)
})
const esApp = express()
esApp.use(
  session({
    store: new RedisStore({ client: nodeRedis }),
    secret: SECRET,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: false, maxAge: 86400_000 },
  }),
)
esApp.get('/login', (req, res) => {
  Object.assign(req.session, { sub: SUB, sid: SID, tokens: peerTokens })
  res.json({ ok: true })
})
esApp.get('/api/me', (req, res) => {
  answer(res, (req.session as unknown as { sub?: string }).sub)
})

const served: Served[] = [
  {
    name: 'oidc-session protect(), cookie store',
    store: 'cookie',
    peer: false,
    app: oursApp(cookieAuth),
    cookie: cookieHeader,
    rps: [],
  },
  {
    name: 'iron-session getIronSession(req, res) middleware',
    store: 'cookie',
    peer: true,
    app: ironApp,
    cookie: ironHeader,
    rps: [],
  },
  {
    name: 'express-openid-connect auth() + requiresAuth() (appSession cookie)',
    store: 'cookie',
    peer: true,
    app: eocApp,
    cookie: eocHeader,
    rps: [],
  },
  {
    name: 'oidc-session protect(), Redis store',
    store: 'redis',
    peer: false,
    app: oursApp(redisAuth),
    cookie: redisHeader,
    rps: [],
  },
  {
    name: 'express-session + connect-redis',
    store: 'redis',
    peer: true,
    app: esApp,
    cookie: '',
    rps: [],
  },
]
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
function get(
  url: string,
  cookie: string,
): Promise<{ status: number; body: string; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { cookie, accept: 'application/json' } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, setCookie: res.headers['set-cookie'] ?? [] }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}
for (const s of served) {
  const server = s.app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  s.close = () => new Promise((r) => server.close(() => r()))
}
const es = served.at(-1)!
es.cookie = (await get(`${es.url}/login`, '')).setCookie[0]!.split(';')[0]!
for (const s of served) {
  const check = await get(`${s.url}/api/me`, s.cookie)
  if (check.status !== 200 || (JSON.parse(check.body) as { sub?: string }).sub !== SUB)
    throw new Error(`${s.name} did not serve the session: ${check.status} ${check.body}`)
}

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
for (const s of served) await burst(`${s.url}/api/me`, s.cookie, 300) // warm-up
for (let round = 0; round < HTTP_ROUNDS; round++) {
  for (const s of round % 2 === 0 ? served : [...served].reverse())
    s.rps.push(await burst(`${s.url}/api/me`, s.cookie, PER_ROUND))
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!

// ── Report ──────────────────────────────────────────────────────────────────────────────────
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const fastest = (rows: { peer: boolean; figure: number; name: string }[]) =>
  rows.filter((r) => r.peer).sort((a, b) => b.figure - a.figure)[0]?.name
const WEB_ROW = {
  cookie: 'hot path, Web Request → session, cookie session (in process, sequential)',
  redis: 'hot path, Web Request → session, Redis session (in process, sequential; no Web peer)',
}
const HTTP_ROW = {
  cookie: 'hot path through Express, cookie session (GET /api/me over HTTP, requests/s)',
  redis: 'hot path through Express, Redis session (GET /api/me over HTTP, requests/s)',
}
const rows: RowInput[] = []
for (const store of ['cookie', 'redis'] as const) {
  const group = webRows.filter((r) => r.store === store).map((r) => ({ ...r, figure: r.perSecond }))
  const ref = fastest(group)
  for (const r of group)
    rows.push({
      row: WEB_ROW[store],
      contender: r.name,
      figure: r.figure,
      unit: 'ops/s',
      better: 'higher',
      runs: WEB_ROUNDS,
      reference: r.name === ref,
    })
}
for (const store of ['cookie', 'redis'] as const) {
  const group = served
    .filter((s) => s.store === store)
    .map((s) => ({ ...s, figure: median(s.rps) }))
  const ref = fastest(group)
  for (const s of group)
    rows.push({
      row: HTTP_ROW[store],
      contender: s.name,
      figure: s.figure,
      unit: 'requests/s',
      better: 'higher',
      runs: HTTP_ROUNDS,
      reference: s.name === ref,
      note: `median of ${HTTP_ROUNDS} rounds of ${PER_ROUND}, concurrency ${CONCURRENCY}`,
    })
}

console.log(
  `Hot path with a valid session (Node ${process.version}). Web: ${WEB_MS} ms per contender in ${WEB_ROUNDS} interleaved slices. Express: ${HTTP_ROUNDS} interleaved rounds of ${PER_ROUND} requests, keep-alive, concurrency ${CONCURRENCY}, median.\n`,
)
console.log('| measured | contender | figure | × fastest peer |')
console.log('|---|---|---:|---:|')
for (const row of rows) {
  const ref = rows.find((r) => r.row === row.row && r.reference)
  console.log(
    `| ${row.row} | ${row.contender} | ${fmt(row.figure)} ${row.unit} | ${ref ? `${(row.figure / ref.figure).toFixed(2)}×` : '—'} |`,
  )
}
report('hot-path', rows)

// Best-effort cleanup, bounded: the figures are printed, the process ends either way.
agent.destroy()
await Promise.race([
  Promise.allSettled([...served.map((s) => s.close?.()), nodeRedis.quit(), redis.close()]),
  new Promise((resolve) => setTimeout(resolve, 2000).unref()),
])
io.disconnect()
process.exit(0)
