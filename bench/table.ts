/**
 * `npm run bench:table`: print `bench/results.json` as one Markdown table (for the README).
 * `npm run bench:table -- <bench>…` prints those benches' rows only.
 */
import { markdownTable, readResults } from './results.js'

const only = process.argv.slice(2)
const results = readResults()
const rows = results.rows.filter((row) => only.length === 0 || only.includes(row.bench))
const benches = [...new Set(rows.map((row) => row.bench))]
const when = benches
  .map((bench) => {
    const run = results.runs[bench]
    return run ? `${bench} ${run.date.slice(0, 16).replace('T', ' ')} UTC` : bench
  })
  .join(', ')
const nodes = [...new Set(benches.map((bench) => results.runs[bench]?.node).filter(Boolean))]
console.log(markdownTable(rows))
console.log(
  `\nMeasured with \`npm run bench\` (Node ${nodes.join(', ')}; ${when}). Ratios compare contenders measured in the same run, in interleaved rounds; absolute figures depend on the machine.`,
)
