/**
 * Import first in a bench that measures the session codec: benches run under `tsx`, which reads
 * `tsconfig.json`, whose `paths` send `#seal` to the Web backend (the core is type-checked without
 * Node). A Node application gets the Node backend (package.json `imports`, `node` condition), so
 * the bench re-runs itself with `tsconfig.test.json`, whose `paths` send `#seal` to
 * `src/lib/seal-node.ts`, as the vitest alias does. `BENCH_SEAL=web` measures the Web backend.
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const wanted = process.env.BENCH_SEAL === 'web' ? 'tsconfig.json' : 'tsconfig.test.json'

if (process.env.TSX_TSCONFIG_PATH === undefined) {
  const run = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, TSX_TSCONFIG_PATH: join(root, wanted) },
  })
  process.exit(run.status ?? 1)
}
