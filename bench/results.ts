/**
 * `bench/results.json`: read, merge (a bench's new rows replace its old ones) and print as one
 * Markdown table. Shared by the runner (bench/run.ts), the table (bench/table.ts) and the chart.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { ResultRow } from './report.js'

export const RESULTS_FILE = fileURLToPath(new URL('./results.json', import.meta.url))

/** The file: when and where each bench last ran, and every row. */
export interface Results {
  /** Per bench: when it last ran, on what. */
  runs: Record<string, { date: string; node: string; cpus: number; loadavg: number[] }>
  rows: ResultRow[]
}

export function readResults(file = RESULTS_FILE): Results {
  if (!existsSync(file)) return { runs: {}, rows: [] }
  return JSON.parse(readFileSync(file, 'utf8')) as Results
}

/** Replace the rows of `bench` in `results` by `rows` (kept in the order they were reported). */
export function mergeRows(results: Results, bench: string, rows: ResultRow[]): Results {
  const order = Object.keys({ ...results.runs, [bench]: null }).sort()
  const others = results.rows.filter((row) => row.bench !== bench)
  const all = [...others, ...rows].sort((a, b) => order.indexOf(a.bench) - order.indexOf(b.bench))
  return {
    runs: Object.fromEntries(
      order.map((name) => [
        name,
        name === bench
          ? {
              date: rows[0]?.date ?? new Date().toISOString(),
              node: process.version,
              cpus: cpus().length,
              loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
            }
          : results.runs[name]!,
      ]),
    ),
    rows: all,
  }
}

export function writeResults(results: Results, file = RESULTS_FILE): void {
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
}

/** A figure with a sensible number of digits. */
export function formatFigure(figure: number, unit: string): string {
  const abs = Math.abs(figure)
  const digits = abs >= 100 || Number.isInteger(figure) ? 0 : abs >= 10 ? 1 : 2
  const text = figure.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  })
  return unit === '×' ? `${text}×` : `${text} ${unit}`
}

export function formatRatio(ratio: number | null): string {
  if (ratio === null) return '—'
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`
}

const cell = (text: string) => text.replaceAll('|', '\\|')

/** One Markdown table of `rows`: bench, row, contender, figure, ratio and what it is against. */
export function markdownTable(rows: readonly ResultRow[]): string {
  const lines = [
    '| bench | measured | contender | figure | ratio | against | better | runs |',
    '|---|---|---|---:|---:|---|---|---:|',
  ]
  for (const row of rows)
    lines.push(
      `| ${row.bench} | ${cell(row.row)} | ${cell(row.contender)}${row.reference ? ' (reference)' : ''} | ${formatFigure(row.figure, row.unit)} | ${formatRatio(row.ratio)} | ${cell(row.against ?? '—')} | ${row.better} | ${row.runs} |`,
    )
  return lines.join('\n')
}
