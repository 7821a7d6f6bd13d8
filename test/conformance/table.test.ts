/**
 * `docs/conformance.md` names, for every requirement, the tests that prove it. This test holds the
 * page to its word: every table row names at least one test, each as `file › describe › … › it`,
 * the file exists under `test/`, and it declares each `describe(` and the `it(` with exactly that
 * title, as a string literal (a title built at run time cannot be checked, so it cannot be named).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const page = readFileSync(`${root}docs/conformance.md`, 'utf8')

interface Row {
  line: number
  cells: string[]
}

interface TestName {
  file: string
  suites: string[]
  title: string
}

/** Rows of every table whose last column is `Test` (header and separator left out). */
function rows(markdown: string): Row[] {
  const found: Row[] = []
  let inTable = false
  markdown.split('\n').forEach((text, index) => {
    if (!text.startsWith('|')) {
      inTable = false
      return
    }
    const cells = text
      .slice(1, text.endsWith('|') ? -1 : undefined)
      .split('|')
      .map((cell) => cell.trim())
    if (!inTable) {
      inTable = true
      if (cells.at(-1) !== 'Test')
        throw new Error(`line ${index + 1}: a table whose last column is not "Test"`)
      return
    }
    if (cells.every((cell) => /^-+$/.test(cell))) return
    found.push({ line: index + 1, cells })
  })
  return found
}

/** The test names of a `Test` cell (code spans separated by `<br>`). */
function names(cell: string): TestName[] {
  return cell.split('<br>').map((part) => {
    const span = /^`([^`]+)`$/.exec(part.trim())
    if (!span) throw new Error(`not a single code span: ${part}`)
    const segments = span[1]!.split(' › ')
    if (segments.length < 3) throw new Error(`not "file › describe › it": ${span[1]}`)
    return { file: segments[0]!, suites: segments.slice(1, -1), title: segments.at(-1)! }
  })
}

/** `call(` followed by `title` as a string literal in any of the three quotes. */
function declares(source: string, call: 'describe' | 'it', title: string): boolean {
  const quoted = [
    `'${title.replaceAll("'", "\\'")}'`,
    `"${title.replaceAll('"', '\\"')}"`,
    `\`${title}\``,
  ]
  return quoted.some((literal) => source.includes(`${call}(${literal}`))
}

const table = rows(page)

describe('docs/conformance.md', () => {
  it('has the tables of every specification the issue names, with rows', () => {
    for (const heading of [
      '## OpenID Connect RP-Initiated Logout 1.0',
      '## OpenID Connect Back-Channel Logout 1.0 §2.4–2.8',
      '## OpenID Connect Core 1.0 §3.1.3.7',
      '## OpenID Connect Core 1.0 §12.2',
      '## RFC 9207',
      '## RFC 7009',
      '## RFC 9700',
    ])
      expect(page).toContain(heading)
    expect(table.length).toBeGreaterThan(50)
  })

  it('gives every row a requirement, a level, how we meet it and at least one test', () => {
    for (const row of table) {
      expect(row.cells, `line ${row.line}`).toHaveLength(4)
      for (const cell of row.cells) expect(cell, `line ${row.line}`).not.toBe('')
      expect(() => names(row.cells[3]!), `line ${row.line}`).not.toThrow()
    }
  })

  it('names only tests that exist: the file, each describe and the it title', () => {
    const missing: string[] = []
    for (const row of table) {
      for (const name of names(row.cells[3]!)) {
        const path = `${root}${name.file}`
        if (
          !name.file.startsWith('test/') ||
          !name.file.endsWith('.test.ts') ||
          !existsSync(path)
        ) {
          missing.push(`line ${row.line}: no test file ${name.file}`)
          continue
        }
        const source = readFileSync(path, 'utf8')
        for (const suite of name.suites)
          if (!declares(source, 'describe', suite))
            missing.push(`line ${row.line}: ${name.file} has no describe(${JSON.stringify(suite)}`)
        if (!declares(source, 'it', name.title))
          missing.push(`line ${row.line}: ${name.file} has no it(${JSON.stringify(name.title)}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('names every test of test/conformance/ (no conformance test without its requirement)', () => {
    const named = new Set(
      table.flatMap((row) => names(row.cells[3]!).map((name) => `${name.file} › ${name.title}`)),
    )
    const unnamed: string[] = []
    const files = readdirSync(`${root}test/conformance`).filter(
      (file) => file.endsWith('.test.ts') && file !== 'table.test.ts',
    )
    expect(files.length).toBeGreaterThanOrEqual(4)
    for (const file of files) {
      const source = readFileSync(`${root}test/conformance/${file}`, 'utf8')
      const titles = [...source.matchAll(/^\s*it\((['"`])((?:\\.|(?!\1).)*)\1/gm)].map((match) =>
        match[2]!.replace(/\\(.)/g, '$1'),
      )
      expect(titles.length, file).toBeGreaterThan(0)
      for (const title of titles)
        if (!named.has(`test/conformance/${file} › ${title}`)) unnamed.push(`${file} › ${title}`)
    }
    expect(unnamed).toEqual([])
  })

  it('marks every requirement it does not implement as deliberate, with a reason', () => {
    const skipped = table.filter((row) => /not implemented/i.test(row.cells[2]!))
    expect(skipped.length).toBeGreaterThan(0)
    for (const row of skipped)
      expect(row.cells[2], `line ${row.line}`).toMatch(/\*\*Not implemented\*\*: .{40,}/)
  })

  it('refuses what it should: a renamed test, a missing file, a row without a test', () => {
    const bad = [
      '| Requirement | Level | How | Test |',
      '|---|---|---|---|',
      '| r | MUST | h | `test/conformance/callback.test.ts › RFC 9207 authorization server issuer identification › a title nobody wrote` |',
      '| r | MUST | h | `test/conformance/nowhere.test.ts › d › t` |',
      '| r | MUST | h | no test named |',
    ].join('\n')
    const [renamed, nowhere, none] = rows(bad)
    const source = readFileSync(`${root}test/conformance/callback.test.ts`, 'utf8')
    expect(declares(source, 'it', names(renamed!.cells[3]!)[0]!.title)).toBe(false)
    expect(existsSync(`${root}${names(nowhere!.cells[3]!)[0]!.file}`)).toBe(false)
    expect(() => names(none!.cells[3]!)).toThrow(/code span/)
  })
})
