/**
 * `npx tsx bench/gateway/index.ts`: the forward overhead of the gateway example — a request through
 * `examples/gateway` (cookie session, fresh token, `auth.forward()`) to a trivial upstream, compared
 * with the same request sent to the upstream directly. Upstream and gateway run in their own
 * processes; the load comes from this one (keep-alive connections, fixed concurrency).
 *
 * Reported as ratios (proxied ÷ direct): latency p50/p99 and throughput, for the gateway and, as a
 * ladder, two proxies without auth (a `node:http` pipe, the floor of any Node proxy; and a Fetch
 * proxy on the gateway's own Node glue), so the cost of the session and token work stands apart
 * from the cost of an extra HTTP hop. Absolute times are noise on a shared machine. oauth2-proxy's figure needs its Go binary, which cannot be installed here (no
 * Go toolchain, no Go module proxy): see the report.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { Agent as HttpAgent, request } from 'node:http'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Agent } from '../../test/fixtures/agent.js'
import { clientMetadata, freePort, startProvider } from '../../test/fixtures/provider.js'
import { silenceExpectedProviderNotices } from '../../test/fixtures/quiet.js'
import { report } from '../report.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

/** Start `bench/gateway/serve.ts <mode>` with `env`; resolves with the child and its port. */
function serve(
  mode: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/gateway/serve.ts', mode], {
    cwd: ROOT,
    // `oidc-session` resolves to src/ (the paths of tsconfig.test.json), as in the tests.
    env: { ...process.env, ...env, TSX_TSCONFIG_PATH: 'tsconfig.test.json' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /ready (\d+)/.exec(out)
      if (match) resolve({ child, port: Number(match[1]) })
    })
    child.once('exit', (code) => reject(new Error(`${mode} exited (${code})`)))
  })
}

interface Result {
  p50: number
  p99: number
  perSecond: number
  failures: number
}

/** `REQUESTS` GETs (or POSTs of `body`) to `url`, `CONCURRENCY` at a time, on keep-alive connections. */
async function load(url: string, headers: Record<string, string>, body?: Buffer): Promise<Result> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY })
  const target = new URL(url)
  const latencies: number[] = []
  let failures = 0
  let next = 0
  const one = () =>
    new Promise<void>((resolve) => {
      const start = performance.now()
      const req = request(
        target,
        {
          agent,
          method: body ? 'POST' : 'GET',
          headers: body ? { ...headers, 'content-length': String(body.length) } : headers,
        },
        (res) => {
          res.resume()
          res.on('end', () => {
            if (res.statusCode !== 200) failures++
            latencies.push(performance.now() - start)
            resolve()
          })
        },
      )
      req.on('error', () => {
        failures++
        resolve()
      })
      req.end(body)
    })
  const worker = async () => {
    while (next++ < REQUESTS) await one()
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const elapsed = performance.now() - started
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? NaN
  return { p50: at(0.5), p99: at(0.99), perSecond: (REQUESTS / elapsed) * 1000, failures }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN

async function main() {
  silenceExpectedProviderNotices()
  const provider = await startProvider({ accessTokenTtl: 3600, idTokenTtl: 3600 })
  const upstream = await serve('upstream', {})
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`
  const children = [upstream.child]
  const body = Buffer.alloc(64 * 1024, 7)

  // The ladder, for a GET and a 64 KiB POST: direct, then three proxies in front of the same
  // upstream — the floor of a Node proxy (http.request piped), a Web-standard proxy without auth
  // (the gateway's own Node glue and Fetch path), and the gateway (session, token, forward()).
  const proxies: { name: string; mode: string; env?: Record<string, string> }[] = [
    { name: 'node:http pipe proxy (no auth)', mode: 'pipe-proxy' },
    { name: 'Fetch proxy (no auth)', mode: 'fetch-proxy' },
    { name: 'gateway, Bearer', mode: 'gateway' },
    { name: 'gateway, DPoP (a proof per request)', mode: 'gateway', env: { DPOP: '1' } },
  ]
  const rows: string[] = []
  try {
    for (const post of [false, true]) {
      const payload = post ? body : undefined
      const headers = { accept: 'application/json' }
      await load(`${upstreamUrl}/hello`, headers, payload) // warm the upstream
      for (const proxy of proxies) {
        const port = await freePort()
        const appUrl = `http://127.0.0.1:${port}`
        let cookie = ''
        if (proxy.mode === 'gateway') {
          const clientId = `bench-${port}`
          const secret = `${clientId}-secret-${clientId}-secret-0123456789`
          await provider.registerClient(
            clientMetadata(appUrl, { client_id: clientId, client_secret: secret }),
          )
          proxy.env = {
            ...proxy.env,
            OIDC_ISSUER: provider.issuer,
            OIDC_CLIENT_ID: clientId,
            OIDC_CLIENT_SECRET: secret,
            APP_URL: appUrl,
            SESSION_SECRET: 'bench-gateway-secret-bench-gateway-secret-0123',
          }
        }
        const running = await serve(proxy.mode, {
          ...proxy.env,
          PORT: String(port),
          UPSTREAM_URL: upstreamUrl,
        })
        children.push(running.child)
        if (proxy.mode === 'gateway') {
          const user = new Agent()
          await user.login(`${appUrl}/login?returnTo=/oauth2/auth`, { username: 'bench' })
          cookie = user.jar.header(appUrl)
        }
        const through = { ...headers, ...(cookie ? { cookie } : {}) }
        await load(`${appUrl}/hello`, through, payload) // warm (JIT, keys, discovery)
        const direct: Result[] = []
        const proxied: Result[] = []
        for (let round = 0; round < ROUNDS; round++) {
          direct.push(await load(`${upstreamUrl}/hello`, headers, payload))
          proxied.push(await load(`${appUrl}/hello`, through, payload))
        }
        const failures = [...direct, ...proxied].reduce((sum, r) => sum + r.failures, 0)
        const m = (results: Result[], key: keyof Result) => median(results.map((r) => r[key]))
        rows.push(
          `| ${post ? 'POST 64 KiB' : 'GET'} | ${proxy.name} | ${(m(proxied, 'p50') / m(direct, 'p50')).toFixed(2)}× | ${(m(proxied, 'p99') / m(direct, 'p99')).toFixed(2)}× | ${(m(direct, 'perSecond') / m(proxied, 'perSecond')).toFixed(2)}× | ${m(direct, 'p50').toFixed(2)} / ${m(proxied, 'p50').toFixed(2)} ms | ${failures} |`,
        )
        running.child.kill('SIGTERM')
      }
    }
  } finally {
    for (const child of children) child.kill('SIGTERM')
    await provider.close()
  }
  console.log(
    `${REQUESTS} requests × ${ROUNDS} rounds, ${CONCURRENCY} at a time, keep-alive; medians of the rounds; each proxy measured against direct calls made in alternation with it.\n`,
  )
  console.log(
    '| request | in front of the upstream | p50 ÷ direct | p99 ÷ direct | throughput direct ÷ proxied | p50 direct / proxied | failures |',
  )
  console.log('|---|---|---|---|---|---|---|')
  for (const row of rows) console.log(row)
  // Rows for bench/results.json (npm run bench): the printed ratios, read back as numbers.
  report(
    'gateway',
    rows.flatMap((line) => {
      const [method = '', proxy = '', p50 = '', p99 = '', throughput = ''] = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim())
      return (
        [
          ['p50 latency, proxied ÷ direct', p50],
          ['p99 latency, proxied ÷ direct', p99],
          ['throughput, direct ÷ proxied', throughput],
        ] as const
      ).map(([what, value]) => ({
        row: `${method} through a proxy: ${what}`,
        contender: proxy,
        figure: Number.parseFloat(value),
        unit: '×',
        better: 'lower' as const,
        runs: ROUNDS,
        ratio: Number.parseFloat(value),
        against: 'direct calls to the upstream',
      }))
    }),
  )
}

await main()
