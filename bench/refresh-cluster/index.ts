/**
 * `npx tsx bench/refresh-cluster/index.ts`: four application processes (cookie sessions,
 * `redisLock` + `redisResultCache` on one private Redis) and one real provider with refresh-token
 * rotation. For bursts of N = 10, 100 and 1 000 concurrent requests in total (spread evenly over the
 * four processes) carrying one session whose access token has expired, it prints the provider's
 * refresh-token calls, the failures, and the p50/p99 of each request's wait inside its process
 * minus the leader's token-call time (goal ≤ 20 ms; it includes each request's own cookie work and
 * queueing), and of how long after the leader process's first answer the other processes answered
 * (the cross-process hand-over alone). A first, unreported burst warms the processes up.
 */
import '../node-backend.js'
import { Redis } from 'ioredis'
import { redisLock, redisResultCache } from '../../src/stores/redis/index.js'
import { Agent } from '../../test/fixtures/agent.js'
import { startProvider } from '../../test/fixtures/provider.js'
import { silenceExpectedProviderNotices } from '../../test/fixtures/quiet.js'
import { startRedis } from '../../test/fixtures/redis.js'
import { report } from '../report.js'
import {
  registerWorkerClient,
  startWorker,
  workerPorts,
  type Worker,
} from '../../test/refresh/cross-process/workers.js'

// BENCH_SIZES=1000 runs one size; BENCH_WORKER_NODE_OPTIONS (e.g. `--cpu-prof`) goes to the workers.
const SIZES = process.env.BENCH_SIZES?.split(',').map(Number) ?? [10, 100, 1000]
const PROCESSES = 4

const quantile = (sorted: number[], q: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN)
const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(1)} ms`)

/**
 * The hand-over alone: a holder on one connection stores a result and releases; a waiter on another
 * connection is woken by the release message and reads the result back (decrypting it).
 */
async function handover(redisUrl: string, rounds: number): Promise<number[]> {
  const connections = [new Redis(redisUrl), new Redis(redisUrl)]
  const [holderLock, waiterLock] = connections.map((c) => redisLock(c))
  const [holderCache, waiterCache] = connections.map((c) => redisResultCache(c))
  const tokens = { accessToken: 'a'.repeat(800), tokenType: 'Bearer', refreshToken: 'r'.repeat(43) }
  const samples: number[] = []
  for (let i = 0; i < rounds; i++) {
    const key = `handover-${i}`
    const lease = await holderLock!.acquire(key, 5000)
    const woken = waiterLock!.waitForRelease(key, 5000).then(() => waiterCache!.get(key))
    await new Promise((resolve) => setTimeout(resolve, 5))
    const start = performance.now()
    await holderCache!.set(key, tokens, 60)
    await lease!.release()
    if ((await woken)?.accessToken !== tokens.accessToken) throw new Error('hand-over lost')
    samples.push(performance.now() - start)
  }
  for (const c of connections) c.disconnect()
  return samples.slice(5).sort((a, b) => a - b) // first rounds warm up
}

interface Timed {
  status: number
  worker?: string
  arrived?: number
  answered?: number
}

async function main(): Promise<void> {
  silenceExpectedProviderNotices()
  const [provider, redis] = await Promise.all([
    startProvider({ accessTokenTtl: 300, idTokenTtl: 3600 }),
    startRedis(),
  ])
  const { port, appUrl } = await workerPorts()
  const config = {
    provider,
    redisUrl: redis.url,
    appUrl,
    clientId: 'bench-cluster',
    clientSecret: 'bench-cluster-secret-bench-cluster-secret-0123',
    secret: 'bench-cluster-session-secret-bench-cluster-0123',
  }
  await registerWorkerClient(config)
  const env: Record<string, string> = { TIMING: '1' }
  if (process.env.BENCH_WORKER_NODE_OPTIONS)
    env.NODE_OPTIONS = process.env.BENCH_WORKER_NODE_OPTIONS
  const workers: Worker[] = await Promise.all(
    Array.from({ length: PROCESSES }, (_, i) =>
      startWorker(config, `w${i}`, i === 0 ? { port, env } : { env }),
    ),
  )
  let clock = 0
  const rows: string[] = []
  let handoverSamples: number[] = []
  try {
    handoverSamples = await handover(redis.url, 105)
    // The first burst is a warm-up (JIT, the pub/sub connections, the provider's JWKS): not reported.
    for (const [round, n] of [10, ...SIZES].entries()) {
      const agent = new Agent()
      const { response } = await agent.login(`${appUrl}/c/login`, { username: `bench-${n}` })
      if (response.status !== 200) throw new Error(`login answered ${response.status}`)
      const cookie = agent.jar.header(appUrl)
      clock += 400 // past the 300 s access token
      await Promise.all(workers.map((w) => w.setClock(clock)))
      provider.counters.reset()

      const answers = await Promise.all(
        Array.from({ length: n }, async (_, i): Promise<Timed> => {
          const worker = workers[i % PROCESSES]!
          const res = await fetch(`${worker.url}/c/me`, {
            headers: { cookie, accept: 'application/json' },
          })
          return { status: res.status, ...((await res.json()) as Omit<Timed, 'status'>) }
        }),
      )
      const calls = await Promise.all(
        workers.map(async (w) => {
          const res = await fetch(`${w.url}/__token-call`)
          return ((await res.json()) as { tokenCall: { start: number; end: number } | null })
            .tokenCall
        }),
      )
      // The leader: the process whose last token call is the latest (this burst's).
      const latest = Math.max(...calls.map((c) => c?.start ?? -Infinity))
      const leaderIndex = calls.findIndex((c) => c !== null && c.start === latest)
      const leader = calls[leaderIndex] ?? undefined
      const leaderName = workers[leaderIndex]?.name
      const ok = answers.filter((a) => a.status === 200)
      const tokenTime = leader ? leader.end - leader.start : Number.NaN
      const overhead = ok
        .map((a) => (a.answered ?? Number.NaN) - (a.arrived ?? Number.NaN) - tokenTime)
        .sort((a, b) => a - b)
      // The cross-process part alone: how long after the leader process's first answer the other
      // processes answered.
      const leaderFirst = Math.min(
        ...ok.filter((a) => a.worker === leaderName).map((a) => a.answered ?? Infinity),
      )
      const others = ok
        .filter((a) => a.worker !== leaderName)
        .map((a) => (a.answered ?? Number.NaN) - leaderFirst)
        .sort((a, b) => a - b)
      if (round === 0) continue
      rows.push(
        `| ${n} | ${provider.counters.token.refresh_token ?? 0} | ${n - ok.length} | ${ms(tokenTime)} | ${ms(quantile(overhead, 0.5))} | ${ms(quantile(overhead, 0.99))} | ${ms(quantile(others, 0.5))} | ${ms(quantile(others, 0.99))} |`,
      )
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()))
    await provider.close()
    // The fixture's redis-server child is unref'd: keep the loop alive until it has exited.
    const alive = setInterval(() => undefined, 1000)
    await redis.close()
    clearInterval(alive)
  }
  console.log(
    `${PROCESSES} processes, cookie sessions, redisLock + redisResultCache, one Redis, rotation on\n`,
  )
  console.log(
    '| N | refresh calls | failures | leader token call | wait − token call p50 | wait − token call p99 | other processes after leader p50 | other processes after leader p99 |',
  )
  console.log('|---|---|---|---|---|---|---|---|')
  for (const row of rows) console.log(row)
  console.log(
    `\nHand-over alone (${handoverSamples.length} rounds, two connections): the holder's cache write + release → the waiter woken and its result read back — p50 ${ms(quantile(handoverSamples, 0.5))}, p99 ${ms(quantile(handoverSamples, 0.99))}`,
  )
  // Rows for bench/results.json (npm run bench): the printed cells, read back as numbers.
  const contender = `oidc-session, ${PROCESSES} processes, redisLock + redisResultCache`
  report('refresh-cluster', [
    ...rows.flatMap((line) => {
      const [n = '', calls = '', failures = '', , p50 = '', p99 = '', , otherP99 = ''] = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim())
      const burst = `cross-process refresh burst, N = ${n}`
      const num = Number.parseFloat
      return [
        {
          row: `${burst}: refresh calls`,
          contender,
          figure: num(calls),
          unit: 'calls',
          better: 'lower' as const,
          runs: 1,
          note: `${failures} failures`,
        },
        ...[
          ['wait − token call, p50', p50],
          ['wait − token call, p99', p99],
          ['other processes after the leader, p99', otherP99],
        ].map(([what, value]) => ({
          row: `${burst}: ${what}`,
          contender,
          figure: num(value ?? ''),
          unit: 'ms',
          better: 'lower' as const,
          runs: Number(n),
        })),
      ]
    }),
    {
      row: 'Redis hand-over alone (holder writes + releases → waiter has the result), p99',
      contender: 'redisLock + redisResultCache, two connections',
      figure: quantile(handoverSamples, 0.99),
      unit: 'ms',
      better: 'lower',
      runs: handoverSamples.length,
    },
  ])
}

await main()
// The lock's pub/sub connections (one per lock, owned by the client wrapper) stay open.
process.exit(0)
