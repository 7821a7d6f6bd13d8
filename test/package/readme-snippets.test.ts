/**
 * The code a user copies must compile: every ```ts and ```tsx block of README.md and of the guides
 * (docs/guides/*.md) is written to a file and type-checked against the sources, with the package's
 * import paths (`oidc-session`, `oidc-session/express`, …) mapped as in tsconfig.test.json. A
 * block whose first line is a file-name comment (`// lib/auth.ts`) is written at that path, so the
 * blocks of one page can import each other (`import { getAuth } from './lib/auth'`); the others
 * are `snippet-<n>.ts`. Blocks in other languages (`js`, `sh`) are not checked.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const scratch = join(root, '.cache', 'snippets')

interface Snippet {
  doc: string
  line: number
  file: string
  code: string
}

/** The ```ts / ```tsx blocks of a markdown file, with their line and file name. */
export function snippetsOf(doc: string, text: string): Snippet[] {
  const snippets: Snippet[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|tsx|typescript)\s*$/.exec(lines[i]!)
    if (!open) continue
    const start = i + 1
    let end = start
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++
    const code = lines.slice(start, end).join('\n')
    const named = /^\/\/\s*([\w./[\]-]+\.tsx?)\b/.exec(lines[start] ?? '')
    const ext = open[1] === 'tsx' ? 'tsx' : 'ts'
    snippets.push({
      doc,
      line: start,
      file: named ? named[1]! : `snippet-${snippets.length + 1}.${ext}`,
      code,
    })
    i = end
  }
  return snippets
}

const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs', 'guides'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/guides/${name}`),
]

describe('code blocks in README.md and the guides', () => {
  const snippets = docs.flatMap((doc) => snippetsOf(doc, readFileSync(join(root, doc), 'utf8')))

  it('finds the README quick starts', () => {
    const readme = snippets.filter((s) => s.doc === 'README.md')
    for (const stack of ['express', 'koa', 'fastify', 'hono', 'node', 'next', 'redis']) {
      expect(
        readme.some((s) => s.code.includes(`'oidc-session/${stack}'`)),
        `a README snippet imports oidc-session/${stack}`,
      ).toBe(true)
    }
  })

  it('type-check against the sources', () => {
    rmSync(scratch, { recursive: true, force: true })
    const files = new Map<string, Snippet>()
    for (const snippet of snippets) {
      const path = join(scratch, snippet.doc.replace(/[/.]/g, '_'), snippet.file)
      expect(files.has(path), `${snippet.doc}:${snippet.line} names a file twice`).toBe(false)
      files.set(path, snippet)
      mkdirSync(dirname(path), { recursive: true })
      writeFileSync(path, snippet.code)
    }
    const configPath = join(root, 'tsconfig.test.json')
    const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path))
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, {}, configPath)
    const program = ts.createProgram({
      rootNames: [...files.keys()],
      options: {
        ...parsed.options,
        noEmit: true,
        // A snippet shows a part: what it declares need not be used, and it is a module.
        noUnusedLocals: false,
        noUnusedParameters: false,
        moduleDetection: ts.ModuleDetectionKind.Force,
      },
    })
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
      const snippet = d.file && files.get(resolve(d.file.fileName))
      if (!d.file || d.start === undefined) return message
      const { line } = d.file.getLineAndCharacterOfPosition(d.start)
      const where = snippet
        ? `${snippet.doc}:${snippet.line + line + 1}`
        : `${d.file.fileName}:${line + 1}`
      return `${where}: ${message}`
    })
    expect(problems).toEqual([])
  }, 120_000)
})
