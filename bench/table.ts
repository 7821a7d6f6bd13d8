/**
 * `npm run bench:table`: print `bench/results.json` as one Markdown table (for the README).
 * `npm run bench:table -- <bench>…` prints those benches' rows only.
 * `npm run bench:table -- --readme` writes the README's table (between `<!-- bench:table -->` and
 * `<!-- /bench:table -->`) from the benches a reader compares libraries by.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { markdownTable, readResults } from './results.js'

/** The benches the README shows, in this order. */
const README_BENCHES = ['hot-path', 'cookie', 'redis-store', 'refresh-cluster', 'heap', 'size']
const README = new URL('../README.md', import.meta.url)
const START = '<!-- bench:table -->'
const END = '<!-- /bench:table -->'

const args = process.argv.slice(2)
const readme = args.includes('--readme')
const only = readme ? README_BENCHES : args
const results = readResults()
const rows = results.rows
  .filter((row) => only.length === 0 || only.includes(row.bench))
  .sort((a, b) => (readme ? only.indexOf(a.bench) - only.indexOf(b.bench) : 0))
const benches = [...new Set(rows.map((row) => row.bench))]
const when = benches
  .map((bench) => {
    const run = results.runs[bench]
    return run ? `${bench} ${run.date.slice(0, 16).replace('T', ' ')} UTC` : bench
  })
  .join(', ')
const nodes = [...new Set(benches.map((bench) => results.runs[bench]?.node).filter(Boolean))]
const text = `${markdownTable(rows)}\n\nMeasured with \`npm run bench\` (Node ${nodes.join(', ')}; ${when}). Ratios compare contenders measured in the same run, in interleaved rounds; absolute figures depend on the machine.`

if (readme) {
  const source = readFileSync(README, 'utf8')
  const start = source.indexOf(START)
  const end = source.indexOf(END)
  if (start < 0 || end < start) throw new Error(`README.md: no ${START} … ${END} block`)
  writeFileSync(
    README,
    `${source.slice(0, start + START.length)}\n\n${text}\n\n${source.slice(end)}`,
  )
  console.log(`README.md: ${rows.length} rows from ${benches.join(', ')}`)
} else console.log(text)
