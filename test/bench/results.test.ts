/**
 * The benchmark harness's bookkeeping (bench/report.ts, bench/results.ts): ratios against each
 * row's reference, merging one bench's rows into results.json without touching the others, the
 * Markdown table, and the hand-over file. Plus: every bench reports its rows.
 */
import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { report, resolveRows, type RowInput } from '../../bench/report.js'
import { markdownTable, mergeRows, readResults, writeResults } from '../../bench/results.js'

const DATE = '2026-01-01T00:00:00.000Z'
const row = (contender: string, figure: number, extra: Partial<RowInput> = {}): RowInput => ({
  row: 'open',
  contender,
  figure,
  unit: 'ops/s',
  better: 'higher',
  runs: 3,
  ...extra,
})

describe('resolveRows', () => {
  it('divides each figure by the reference contender of its own row', () => {
    const rows = resolveRows(
      'cookie',
      [
        row('ours', 3000),
        row('peer', 1000, { reference: true }),
        row('ours', 10, { row: 'bytes', unit: 'B', better: 'lower' }),
        row('peer', 40, { row: 'bytes', unit: 'B', better: 'lower', reference: true }),
      ],
      DATE,
    )
    expect(rows.map((r) => [r.row, r.contender, r.ratio, r.against])).toEqual([
      ['open', 'ours', 3, 'peer'],
      ['open', 'peer', 1, 'peer'],
      ['bytes', 'ours', 0.25, 'peer'],
      ['bytes', 'peer', 1, 'peer'],
    ])
    expect(rows[0]).toMatchObject({ bench: 'cookie', node: process.version, date: DATE })
    expect(rows[1]?.reference).toBe(true)
    expect(rows[0]).not.toHaveProperty('reference')
  })

  it('keeps a ratio the bench computed, with what it is against; no reference gives null', () => {
    const rows = resolveRows(
      'gateway',
      [row('proxy', 1.4, { ratio: 1.4, against: 'direct calls' }), row('alone', 5)],
      DATE,
    )
    expect(rows.map((r) => [r.ratio, r.against])).toEqual([
      [1.4, 'direct calls'],
      [null, null],
    ])
  })

  it('drops figures that are not numbers (a cell printed as n/a)', () => {
    const rows = resolveRows('refresh', [row('a', Number.NaN), row('b', 2)], DATE)
    expect(rows.map((r) => r.contender)).toEqual(['b'])
  })
})

describe('results.json', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
    delete process.env.BENCH_ROWS_FILE
  })
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-results-test-'))
    dirs.push(dir)
    return dir
  }

  it('merging a bench replaces its rows and keeps the other benches', () => {
    const file = join(scratch(), 'results.json')
    let results = readResults(file)
    expect(results).toEqual({ runs: {}, rows: [] })
    results = mergeRows(results, 'size', resolveRows('size', [row('all', 100)], DATE))
    results = mergeRows(
      results,
      'cookie',
      resolveRows('cookie', [row('ours', 2), row('peer', 1, { reference: true })], DATE),
    )
    writeResults(results, file)
    const again = mergeRows(
      readResults(file),
      'cookie',
      resolveRows('cookie', [row('ours', 5), row('peer', 1, { reference: true })], DATE),
    )
    expect(again.rows.map((r) => `${r.bench}:${r.contender}:${r.figure}`)).toEqual([
      'cookie:ours:5',
      'cookie:peer:1',
      'size:all:100',
    ])
    expect(Object.keys(again.runs)).toEqual(['cookie', 'size'])
    expect(again.runs.cookie).toMatchObject({ date: DATE, node: process.version })
  })

  it('prints one Markdown table, the reference marked and pipes escaped', () => {
    const table = markdownTable(
      resolveRows('cookie', [row('a | b', 3000), row('peer', 1000, { reference: true })], DATE),
    )
    const lines = table.split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[2]).toBe('| cookie | open | a \\| b | 3,000 ops/s | 3.00× | peer | higher | 3 |')
    expect(lines[3]).toContain('| peer (reference) | 1,000 ops/s | 1.00× |')
  })

  it('report() appends JSON lines to BENCH_ROWS_FILE, and does nothing without it', () => {
    const file = join(scratch(), 'rows.jsonl')
    report('x', [row('a', 1)])
    expect(existsSync(file)).toBe(false)
    process.env.BENCH_ROWS_FILE = file
    report('x', [row('a', 1), row('b', 2, { reference: true })])
    report('x', [row('c', 4)])
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    expect(lines.map((line) => (JSON.parse(line) as { contender: string }).contender)).toEqual([
      'a',
      'b',
      'c',
    ])
  })
})

it('every bench hands its rows to results.json', () => {
  const benchDir = fileURLToPath(new URL('../../bench/', import.meta.url))
  const benches = readdirSync(benchDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(benchDir, d.name, 'index.ts')))
    .map((d) => d.name)
  expect(benches.length).toBeGreaterThan(5)
  for (const name of benches) {
    const source = readFileSync(join(benchDir, name, 'index.ts'), 'utf8')
    expect(source, `bench/${name}`).toMatch(new RegExp(`\\breport\\(\\s*'${name}'`))
  }
})
