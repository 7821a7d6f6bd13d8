/**
 * `npm run bench`: run every `bench/<name>/index.ts` in turn (each prints its own table), collect
 * the rows each one reports (bench/report.ts), merge them into `bench/results.json` and print one
 * combined table at the end. `npm run bench -- <name>…` runs those benches only and merges their
 * rows, leaving the other benches' rows as they were.
 *
 * Figures are ratios against peers measured in the same run; absolute times are noise here.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ResultRow } from './report.js'
import { markdownTable, mergeRows, readResults, RESULTS_FILE, writeResults } from './results.js'

const here = dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2)
const all = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'index.ts')))
  .map((d) => d.name)
const unknown = only.filter((name) => !all.includes(name))
if (unknown.length > 0) {
  console.error(`no such bench: ${unknown.join(', ')} (there are: ${all.join(', ')})`)
  process.exit(2)
}
const benches = all.filter((name) => only.length === 0 || only.includes(name))
const scratch = mkdtempSync(join(tmpdir(), 'oidc-session-bench-'))
const collected: ResultRow[] = []
const failed: string[] = []
for (const name of benches) {
  console.log(`\n## bench/${name}\n`)
  const rowsFile = join(scratch, `${name}.jsonl`)
  // --expose-gc: bench/heap measures the heap after `global.gc()`; harmless for the others.
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(here, name, 'index.ts')],
    { stdio: 'inherit', env: { ...process.env, BENCH_ROWS_FILE: rowsFile } },
  )
  if (run.status !== 0) failed.push(name)
  const rows = existsSync(rowsFile)
    ? readFileSync(rowsFile, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as ResultRow)
    : []
  if (rows.length === 0) {
    console.log(`\n(bench/${name} reported no rows: results.json keeps its previous rows)`)
    continue
  }
  // Written after every bench: a run stopped half way keeps what it measured.
  writeResults(mergeRows(readResults(), name, rows))
  collected.push(...rows)
}
rmSync(scratch, { recursive: true, force: true })

console.log(`\n## All figures of this run (merged into ${RESULTS_FILE})\n`)
console.log(markdownTable(collected))
if (failed.length > 0) console.error(`\nfailed: ${failed.join(', ')}`)
process.exit(failed.length === 0 ? 0 : 1)
