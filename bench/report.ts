/**
 * Machine-readable rows for `bench/results.json`. A bench calls {@link report} once at its end
 * with every figure it printed; `npm run bench` (bench/run.ts) collects them through the file named
 * by `BENCH_ROWS_FILE` (one JSON object a line) and merges them into `bench/results.json`. Run alone
 * (`npx tsx bench/<name>/index.ts`), a bench prints its own table and `report` does nothing.
 */
import { appendFileSync } from 'node:fs'

/** One figure of one contender, as a bench reports it. */
export interface RowInput {
  /** What is measured, the same for every contender compared (e.g. "open a sealed cookie, cold"). */
  row: string
  contender: string
  figure: number
  /** "ops/s", "requests/s", "ms", "B", "×"… */
  unit: string
  /** Which way is better for this figure. */
  better: 'higher' | 'lower'
  /** Samples behind the figure (rounds, requests, bursts…). */
  runs: number
  /** This contender is the row's reference: the others' ratio is their figure ÷ its figure. */
  reference?: boolean
  /** A ratio the bench computed itself (e.g. proxied ÷ direct): used as is, with `against`. */
  ratio?: number | null
  /** What a given `ratio` is against (e.g. "direct calls"). */
  against?: string
  /** Anything a reader needs to read the figure right. */
  note?: string
}

/** A row as stored in results.json. */
export interface ResultRow extends Omit<RowInput, 'ratio' | 'against'> {
  bench: string
  /** figure ÷ the reference contender's figure in the same row (`null`: the row has no reference). */
  ratio: number | null
  /** The reference contender's name (or what the ratio is against). */
  against: string | null
  node: string
  date: string
}

/** Turn a bench's rows into stored rows: ratios against each row's reference contender. */
export function resolveRows(bench: string, rows: readonly RowInput[], date: string): ResultRow[] {
  const references = new Map<string, RowInput>()
  for (const row of rows) if (row.reference) references.set(row.row, row)
  return rows
    .filter((row) => Number.isFinite(row.figure))
    .map((row) => {
      const reference = references.get(row.row)
      const computed = reference && reference.figure !== 0 ? row.figure / reference.figure : null
      const { ratio: given, against, reference: isReference, ...rest } = row
      return {
        bench,
        ...rest,
        ...(isReference ? { reference: true } : {}),
        ratio: given === undefined ? computed : given,
        against: given === undefined ? (reference?.contender ?? null) : (against ?? null),
        node: process.version,
        date,
      }
    })
}

/**
 * Hand the rows of `bench` to the runner (a no-op when the bench runs alone).
 *
 * @param bench the bench's folder name
 * @param rows every figure the bench printed
 */
export function report(bench: string, rows: readonly RowInput[]): void {
  const file = process.env.BENCH_ROWS_FILE
  if (!file) return
  const date = new Date().toISOString()
  const lines = resolveRows(bench, rows, date).map((row) => JSON.stringify(row))
  if (lines.length > 0) appendFileSync(file, `${lines.join('\n')}\n`)
}
