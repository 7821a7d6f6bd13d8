/**
 * `npm run bench:chart`: the hot-path comparison of `bench/results.json` as an SVG bar chart,
 * `docs/bench-hot-path.svg` (a hand-written SVG string, no dependency). One panel per measured
 * row, bars scaled to the row's fastest contender, each labelled with its figure and its ratio to
 * the row's reference (the fastest peer).
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ResultRow } from './report.js'
import { formatFigure, formatRatio, readResults } from './results.js'

const OUT = fileURLToPath(new URL('../docs/bench-hot-path.svg', import.meta.url))
const BENCH = 'hot-path'

const results = readResults()
const rows = results.rows.filter((row) => row.bench === BENCH)
if (rows.length === 0) {
  console.error(`no ${BENCH} rows in bench/results.json: run "npm run bench -- ${BENCH}" first`)
  process.exit(1)
}
const groups = new Map<string, ResultRow[]>()
for (const row of rows) groups.set(row.row, [...(groups.get(row.row) ?? []), row])

const escape = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
const ours = (row: ResultRow) => row.contender.startsWith('oidc-session')

const WIDTH = 1000
const LABEL = 470 // the contender names, right-aligned at this x
const BAR_X = LABEL + 10
const BAR_MAX = 330
const BAR_H = 18
const LINE = 26
const run = results.runs[BENCH]
const parts: string[] = []
let y = 34
parts.push(
  `<text x="20" y="${y}" class="title">oidc-session hot path: a request with a valid session</text>`,
)
y += 20
parts.push(
  `<text x="20" y="${y}" class="sub">${escape(
    `npm run bench -- hot-path · Node ${run?.node ?? '?'} · ${run?.date.slice(0, 10) ?? '?'} · ${run?.cpus ?? '?'} cores, shared and loaded (load ${run?.loadavg[0] ?? '?'}) · ratios within one run`,
  )}</text>`,
)
y += 16
for (const [title, group] of groups) {
  y += 26
  parts.push(`<text x="20" y="${y}" class="group">${escape(title)}</text>`)
  y += 10
  const max = Math.max(...group.map((row) => row.figure))
  for (const row of group) {
    const width = Math.max(1, (row.figure / max) * BAR_MAX)
    const mid = y + BAR_H / 2 + 4
    parts.push(
      `<text x="${LABEL}" y="${mid}" class="label" text-anchor="end">${escape(row.contender)}</text>`,
      `<rect x="${BAR_X}" y="${y}" width="${width.toFixed(1)}" height="${BAR_H}" rx="2" class="${ours(row) ? 'ours' : 'peer'}"/>`,
      `<text x="${(BAR_X + width + 6).toFixed(1)}" y="${mid}" class="value">${escape(
        `${formatFigure(row.figure, row.unit)}${row.reference ? ' (reference)' : row.ratio === null ? '' : ` · ${formatRatio(row.ratio)}`}`,
      )}</text>`,
    )
    y += LINE
  }
}
y += 14
parts.push(
  `<text x="20" y="${y}" class="sub">Bars scale to each panel's fastest contender; ratios are against the fastest peer of the panel. Source: bench/results.json.</text>`,
)
y += 16

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" role="img" aria-label="oidc-session hot-path benchmark">
<style>
  text { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; fill: #1f2328; }
  .title { font-size: 18px; font-weight: 600; }
  .sub { font-size: 12px; fill: #57606a; }
  .group { font-size: 13px; font-weight: 600; }
  .label, .value { font-size: 12px; }
  .ours { fill: #0969da; }
  .peer { fill: #8c959f; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
${parts.join('\n')}
</svg>
`
writeFileSync(OUT, svg)
console.log(`wrote ${OUT} (${groups.size} panels, ${rows.length} bars)`)
