/**
 * `npx tsx bench/refresh/index.ts`: a burst of N = 10, 100, 1 000 concurrent requests carrying one
 * session whose access token has expired, against the real provider with refresh-token rotation.
 *
 * For oidc-session (one process): provider token calls, and the p50/p99 wait of the followers minus
 * the leader's token-call time — measured through `authenticate()` (cookie store: every request
 * also opens and re-seals its cookie) and through the refresh scheduler alone (the single-flight
 * overhead), and the delivery spread (p99 of each caller's end minus the first caller's end: how
 * long after the first result the last follower has it). Then the same burst through express-openid-connect (its documented
 * `if (isExpired()) await refresh()`): token calls, failures, and whether the session survived.
 *
 * Needs `npm install --no-save express-openid-connect` for the comparison rows.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import express, { type Express } from 'express'
import { resolveConfig } from '../../src/config.js'
import { createProviderContext } from '../../src/oidc/provider.js'
import { createRefreshScheduler } from '../../src/refresh/scheduler.js'
import { createOidcSession, type OidcSession, type TokenSet } from '../../src/index.js'
import { fromNodeRequest, sendResponse } from '../../src/adapters/node/index.js'
import { Agent } from '../../test/fixtures/agent.js'
import {
  DEFAULT_CLIENT,
  clientMetadata,
  startProvider,
  type TestProvider,
} from '../../test/fixtures/provider.js'
import { silenceExpectedProviderNotices } from '../../test/fixtures/quiet.js'
import { report } from '../report.js'

const SIZES = [10, 100, 1000]
const SECRET = 'bench-refresh-secret-bench-refresh-secret-0123'

interface Row {
  n: number
  library: string
  tokenCalls: number
  ok: number
  p50: string
  p99: string
  /** p99 of (a caller's end − the first caller's end): how spread the delivery of the result is. */
  spread: string
  survived: string
}

const quantile = (sorted: number[], q: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN)
/** p99 of `end − earliest end`. */
const spreadOf = (ends: number[]): number => {
  const first = Math.min(...ends)
  return quantile(
    ends.map((end) => end - first).sort((a, b) => a - b),
    0.99,
  )
}
const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(2)} ms`)

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler)
  // A deep backlog: 1 000 connections arrive at once.
  return new Promise((resolve) => server.listen(0, '127.0.0.1', 4096, () => resolve(server)))
}
const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`
async function close(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
}

// ---------------------------------------------------------------------------------------------
// oidc-session

async function benchOidcSession(provider: TestProvider): Promise<Row[]> {
  const clock = { seconds: 0 }
  const now = () => Date.now() + clock.seconds * 1000
  // Times the token calls (the leader's provider round trip).
  const tokenCalls: { start: number; end: number }[] = []
  const timedFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input)
    if (url.pathname !== '/token') return fetch(input, init)
    const call = { start: performance.now(), end: Number.NaN }
    tokenCalls.push(call)
    try {
      return await fetch(input, init)
    } finally {
      call.end = performance.now()
    }
  }
  const app: { url: string; auth?: OidcSession } = { url: '' }
  const server = await listen((req, res) => {
    const request = fromNodeRequest(req)
    const path = new URL(req.url ?? '/', app.url).pathname
    const auth = app.auth!
    const work =
      path === '/login'
        ? auth.login(request, { returnTo: '/done' })
        : path === '/callback'
          ? auth.callback(request)
          : Promise.resolve(new Response('ok'))
    work.then(
      (response) => sendResponse(res, response),
      () => sendResponse(res, new Response('error', { status: 500 })),
    )
  })
  const appUrl = urlOf(server)
  app.url = appUrl
  await provider.registerClient(clientMetadata(appUrl))
  const options = {
    issuer: provider.issuer,
    client: { id: DEFAULT_CLIENT.id, secret: DEFAULT_CLIENT.secret },
    redirectUri: `${appUrl}/callback`,
    secrets: [SECRET],
    now,
    http: { fetch: timedFetch },
  }
  const auth = createOidcSession(options)
  app.auth = auth
  const scheduler = createRefreshScheduler({
    context: createProviderContext(resolveConfig(options).provider),
  })
  const request = (cookie: string) =>
    new Request(`${appUrl}/api`, { headers: { cookie, accept: 'application/json' } })

  const rows: Row[] = []
  // The first size twice: the first run warms the code paths up and is not reported.
  for (const [round, n] of [SIZES[0]!, ...SIZES].entries()) {
    clock.seconds = 0
    const agent = new Agent()
    await agent.login(`${appUrl}/login`, { username: `user-${n}` })
    const cookie = agent.jar.header(appUrl)
    clock.seconds = 3600 // every access token has expired for the app
    // authenticate(): the whole request path.
    {
      provider.counters.reset()
      tokenCalls.length = 0
      const starts: number[] = []
      const ends: number[] = []
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => {
          starts[i] = performance.now()
          return auth.authenticate(request(cookie)).then((result) => {
            ends[i] = performance.now()
            return result
          })
        }),
      )
      const leader = tokenCalls[0]
      const tokenMs = leader ? leader.end - leader.start : Number.NaN
      const waits = starts
        .slice(1)
        .map((start, i) => (ends[i + 1] ?? Number.NaN) - start - tokenMs)
        .sort((a, b) => a - b)
      const calls = provider.counters.token.refresh_token ?? 0
      const first = results[0]
      agent.jar.store(appUrl, first?.headers.getSetCookie() ?? [])
      clock.seconds = 7200 // and once more, with the rotated refresh token
      const later = await auth.authenticate(request(agent.jar.header(appUrl)))
      if (round > 0)
        rows.push({
          n,
          library: 'oidc-session `authenticate()` (cookie store)',
          tokenCalls: calls,
          ok: results.filter((r) => r.reason === 'refreshed').length,
          p50: ms(quantile(waits, 0.5)),
          p99: ms(quantile(waits, 0.99)),
          spread: ms(spreadOf(ends)),
          survived: later.reason === 'refreshed' ? 'yes' : `no (${later.reason})`,
        })
      // The scheduler alone, with the current (rotated) tokens: the single-flight overhead.
      const tokens: TokenSet = later.session?.tokens ?? first!.session!.tokens
      provider.counters.reset()
      tokenCalls.length = 0
      const sStarts: number[] = []
      const sEnds: number[] = []
      const outcomes = await Promise.allSettled(
        Array.from({ length: n }, (_, i) => {
          sStarts[i] = performance.now()
          return scheduler.refresh(tokens).finally(() => {
            sEnds[i] = performance.now()
          })
        }),
      )
      const sLeader = tokenCalls[0]
      const sTokenMs = sLeader ? sLeader.end - sLeader.start : Number.NaN
      const sWaits = sStarts
        .slice(1)
        .map((start, i) => (sEnds[i + 1] ?? Number.NaN) - start - sTokenMs)
        .sort((a, b) => a - b)
      if (round > 0)
        rows.push({
          n,
          library: 'oidc-session refresh scheduler alone',
          tokenCalls: provider.counters.token.refresh_token ?? 0,
          ok: outcomes.filter((o) => o.status === 'fulfilled').length,
          p50: ms(quantile(sWaits, 0.5)),
          p99: ms(quantile(sWaits, 0.99)),
          spread: ms(spreadOf(sEnds)),
          survived: provider.counters.tokenErrors.invalid_grant ? 'no' : 'yes',
        })
    }
  }
  await close(server)
  return rows
}

// ---------------------------------------------------------------------------------------------
// express-openid-connect

interface EocModule {
  auth(config: Record<string, unknown>): (req: unknown, res: unknown, next: unknown) => void
}
interface EocRequest {
  oidc: {
    accessToken?: {
      access_token: string
      isExpired(): boolean
      refresh(): Promise<{ access_token: string }>
    }
  }
}

async function benchEoc(provider: TestProvider): Promise<Row[]> {
  let eoc: EocModule
  try {
    const specifier: string = 'express-openid-connect'
    eoc = (await import(specifier)) as EocModule
  } catch {
    return SIZES.map((n) => ({
      n,
      library: 'express-openid-connect (not installed)',
      tokenCalls: 0,
      ok: 0,
      p50: 'n/a',
      p99: 'n/a',
      spread: 'n/a',
      survived: 'n/a',
    }))
  }
  const app: Express = express()
  const server = await listen(app)
  const appUrl = urlOf(server)
  const clientSecret = 'eoc-client-secret-eoc-client-secret-0123'
  await provider.registerClient(
    clientMetadata(appUrl, { client_id: 'eoc', client_secret: clientSecret }),
  )
  app.use(
    eoc.auth({
      issuerBaseURL: provider.issuer,
      baseURL: appUrl,
      clientID: 'eoc',
      clientSecret,
      secret: SECRET,
      authRequired: false,
      idpLogout: false,
      authorizationParams: { response_type: 'code', scope: 'openid profile offline_access' },
    }),
  )
  app.get('/', (_req, res) => {
    res.send('ok')
  })
  // The refresh pattern of express-openid-connect's README.
  app.get('/api', (req, res) => {
    const { accessToken } = (req as unknown as EocRequest).oidc
    const run = async () => {
      if (!accessToken) return res.status(401).json({ error: 'no session' })
      let token = accessToken.access_token
      if (accessToken.isExpired()) token = (await accessToken.refresh()).access_token
      return res.json({ ok: token.length > 0 })
    }
    run().catch(() => res.status(500).json({ error: 'refresh failed' }))
  })

  const rows: Row[] = []
  for (const n of SIZES) {
    const agent = new Agent()
    await agent.login(`${appUrl}/login`, { username: `eoc-${n}` })
    await sleep(1500) // the provider's access tokens live 1 s here: wait until expired
    provider.counters.reset()
    const cookie = agent.jar.header(appUrl)
    const responses = await Promise.all(
      Array.from({ length: n }, () =>
        fetch(`${appUrl}/api`, { headers: { cookie } }).then(
          async (r) => {
            await r.arrayBuffer()
            return r
          },
          () => undefined, // connection-level failure: counted as not ok
        ),
      ),
    )
    const ok = responses.filter((r): r is Response => r?.status === 200)
    const tokenCalls = provider.counters.token.refresh_token ?? 0
    const invalid = provider.counters.tokenErrors.invalid_grant ?? 0
    // The browser keeps the last Set-Cookie it received; any successful one will do here.
    const last = ok.at(-1)
    if (last) agent.jar.store(appUrl, last.headers.getSetCookie())
    await sleep(1500)
    const after = await fetch(`${appUrl}/api`, { headers: { cookie: agent.jar.header(appUrl) } })
    await after.arrayBuffer()
    rows.push({
      n,
      library: 'express-openid-connect `isExpired() → refresh()`',
      tokenCalls,
      ok: ok.length,
      p50: 'n/a',
      p99: 'n/a',
      spread: 'n/a',
      survived:
        after.status === 200
          ? 'yes'
          : `no (${invalid} invalid_grant in burst, next request ${after.status})`,
    })
  }
  await close(server)
  return rows
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  silenceExpectedProviderNotices()
  const started = performance.now()
  const ours = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
  const rows = await benchOidcSession(ours)
  await ours.close()
  const theirs = await startProvider({ accessTokenTtl: 1, idTokenTtl: 300 })
  rows.push(...(await benchEoc(theirs)))
  await theirs.close()

  console.log(
    '| N | library | token calls | ok | follower wait − token call, p50 | p99 | delivery spread p99 | session survived |',
  )
  console.log('|---:|---|---:|---:|---:|---:|---:|---|')
  for (const r of rows.sort((a, b) => a.n - b.n)) {
    console.log(
      `| ${r.n} | ${r.library} | ${r.tokenCalls} | ${r.ok}/${r.n} | ${r.p50} | ${r.p99} | ${r.spread} | ${r.survived} |`,
    )
  }
  // Rows for bench/results.json (npm run bench): the printed cells, as numbers.
  report(
    'refresh',
    rows.flatMap((r) => [
      {
        row: `refresh burst, N = ${r.n}: provider token calls`,
        contender: r.library,
        figure: r.tokenCalls,
        unit: 'calls',
        better: 'lower' as const,
        runs: 1,
        note: `ok ${r.ok}/${r.n}, session survived: ${r.survived}`,
      },
      ...(['p50', 'p99'] as const).map((q) => ({
        row: `refresh burst, N = ${r.n}: follower wait − token call, ${q}`,
        contender: r.library,
        figure: Number.parseFloat(r[q]),
        unit: 'ms',
        better: 'lower' as const,
        runs: r.n,
      })),
    ]),
  )
  console.log(
    `\nProvider: oidc-provider with refresh-token rotation (a reused refresh token revokes the grant). ` +
      `Total ${((performance.now() - started) / 1000).toFixed(1)} s.`,
  )
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
