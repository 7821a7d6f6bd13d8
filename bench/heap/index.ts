/**
 * `npm run bench -- heap`: the heap after 1 000 000 authenticated requests through the single-flight
 * refresh path (goal: growth ≤ 5 MB after GC).
 *
 * The app bed (real oidc-provider with refresh-token rotation, cookie store, frozen app clock). In
 * each epoch the clock moves past the access token's expiry, then bursts of concurrent
 * `authenticate()` calls carry the same expired session: the first burst joins one token call
 * (single-flight), the later ones reuse its result (the recent-result cache, what late requests
 * carrying a consumed refresh token get); every request is refreshed and re-sealed. The next epoch
 * takes the rotated cookie. The heap is read after `global.gc()` once the caches have filled
 * (after the warm-up epochs), at every 10 % of the run, and at the end.
 *
 * Needs `node --expose-gc` (npm run bench passes it; run alone, the bench re-runs itself with it).
 * `BENCH_HEAP_REQUESTS` sets the number of requests (default 1 000 000), `BENCH_HEAP_PER_ROTATION`
 * the requests per rotation (default 10 000). The heap includes the in-process oidc-provider, whose
 * memory adapter keeps what it issues at every rotation.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { report } from '../report.js'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc || process.env.TSX_TSCONFIG_PATH !== 'tsconfig.test.json') {
  // The app bed imports `oidc-session`, which resolves to src/ through tsconfig.test.json's paths.
  const again = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url)],
    {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.test.json' },
      stdio: 'inherit',
    },
  )
  process.exit(again.status ?? 1)
}

const REQUESTS = Number(process.env.BENCH_HEAP_REQUESTS ?? 1_000_000)
const BURST = 100
const PER_EPOCH = Number(process.env.BENCH_HEAP_PER_ROTATION ?? 10_000)
const WARM_EPOCHS = 2
const MB = 1024 * 1024

// Imported here, not above: the check before must run first (static imports would be resolved
// before it, without the paths).
const { startAppBed } = await import('../../test/fixtures/app-bed.js')
const { Agent } = await import('../../test/fixtures/agent.js')
const { silenceExpectedProviderNotices } = await import('../../test/fixtures/quiet.js')
silenceExpectedProviderNotices()
const bed = await startAppBed({
  // No event recorder or logger that keeps what it receives: the heap must be the library's.
  session: { events: {}, logger: { warn: () => undefined } },
})
bed.clock.frozenAt = Date.now()
const agent = new Agent()
await bed.login('heap', agent)

function heapAfterGc(): number {
  // Twice: the first pass may leave what finalizers released.
  gc!()
  gc!()
  return process.memoryUsage().heapUsed
}

let done = 0
let tokenCalls = 0
let baseline = Number.NaN
const samples: { requests: number; heap: number }[] = []
const started = performance.now()
const epochs = Math.ceil(REQUESTS / PER_EPOCH) + WARM_EPOCHS
bed.provider.counters.reset()
for (let epoch = 0; epoch < epochs; epoch++) {
  if (epoch === WARM_EPOCHS) {
    baseline = heapAfterGc()
    samples.push({ requests: 0, heap: baseline })
    done = 0
    tokenCalls = bed.provider.counters.token.refresh_token ?? 0
  }
  bed.clock.seconds += 400 // past the access token (300 s): every request must refresh
  const cookie = bed.cookieOf(agent)
  let rotated: string[] | undefined
  for (let sent = 0; sent < PER_EPOCH; sent += BURST) {
    const results = await Promise.all(
      Array.from({ length: BURST }, () => bed.auth.authenticate(bed.request(cookie))),
    )
    for (const result of results)
      if (!result.ok || result.reason !== 'refreshed')
        throw new Error(`request ${done} was not refreshed: ${result.reason}`)
    rotated ??= results[0]!.headers.getSetCookie()
    if (epoch >= WARM_EPOCHS) done += BURST
  }
  agent.jar.store(bed.url, rotated ?? [])
  if (epoch >= WARM_EPOCHS && done % (REQUESTS / 10) === 0 && done < REQUESTS)
    samples.push({ requests: done, heap: heapAfterGc() })
  if (done >= REQUESTS) break
}
const final = heapAfterGc()
samples.push({ requests: done, heap: final })
const calls = (bed.provider.counters.token.refresh_token ?? 0) - tokenCalls
const seconds = (performance.now() - started) / 1000
await bed.close()

const growth = (final - baseline) / MB
const peak = Math.max(...samples.map((s) => s.heap)) - baseline
console.log(
  `${done.toLocaleString('en-US')} authenticated requests through the single-flight refresh path (bursts of ${BURST}, ${PER_EPOCH.toLocaleString('en-US')} per rotation, ${calls} provider token calls), ${seconds.toFixed(0)} s, Node ${process.version}\n`,
)
console.log('| requests | heap used after GC | growth since the warm-up |')
console.log('|---:|---:|---:|')
for (const s of samples)
  console.log(
    `| ${s.requests.toLocaleString('en-US')} | ${(s.heap / MB).toFixed(2)} MB | ${((s.heap - baseline) / MB).toFixed(2)} MB |`,
  )
console.log(
  `\nGrowth ${growth.toFixed(2)} MB (largest sample ${(peak / MB).toFixed(2)} MB): goal ≤ 5 MB — ${growth <= 5 ? 'met' : 'NOT met'}.`,
)
report('heap', [
  {
    row: `heap growth after GC over ${done.toLocaleString('en-US')} authenticated requests (single-flight refresh path)`,
    contender: 'oidc-session authenticate(), cookie store',
    figure: growth,
    unit: 'MB',
    better: 'lower',
    runs: done,
    ratio: growth / 5,
    against: 'the goal, 5 MB',
    note: `baseline ${(baseline / MB).toFixed(1)} MB after ${WARM_EPOCHS * PER_EPOCH} warm-up requests; largest sample +${(peak / MB).toFixed(2)} MB; ${calls} token calls`,
  },
])
process.exit(0)
