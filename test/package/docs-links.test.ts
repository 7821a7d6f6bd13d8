/**
 * The link check of `npm run docs` (scripts/check-links.ts): it finds each kind of broken link in
 * a scratch tree, and the repository's own README.md and docs/**\/*.md have none.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { anchorsOf, checkLinks, slug } from '../../scripts/check-links.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

describe('check-links', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'oidc-links-'))
  afterAll(() => rmSync(scratch, { recursive: true, force: true }))
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(scratch, path)), { recursive: true })
    writeFileSync(join(scratch, path), text)
  }

  it('slugs headings as GitHub does', () => {
    expect(slug('Many processes')).toBe('many-processes')
    expect(slug('`authenticate()`: login optional')).toBe('authenticate-login-optional')
    expect(slug('Express 4 and 5')).toBe('express-4-and-5')
    expect(slug('node:http')).toBe('nodehttp')
    expect([...anchorsOf('# A\n## A\n```md\n# Not a heading\n```\n')]).toEqual(['a', 'a-1'])
  })

  it('reports missing files, missing anchors and README links the package does not ship', () => {
    write('package.json', JSON.stringify({ files: ['dist', 'docs/**/*.md', '!docs/internal.md'] }))
    write(
      'README.md',
      [
        '# Title',
        '[ok](docs/guides/a.md#section-one) [self](#title) [abs](https://example.com/x)',
        '[gone](docs/guides/missing.md) [anchor](docs/guides/a.md#nope)',
        '[unshipped](docs/internal.md) `[code](not/a/link.md)`',
        '```ts',
        '// [in a fence](nowhere.md)',
        '```',
      ].join('\n'),
    )
    write('docs/guides/a.md', '---\ntitle: A\n---\n# Section one\n[back](../../README.md#title)\n')
    write('docs/internal.md', '# Internal\n[bad](./a.md)\n')
    const broken = checkLinks(scratch).map((b) => `${b.file}:${b.line} ${b.target}`)
    expect(broken.sort()).toEqual(
      [
        'README.md:3 docs/guides/missing.md',
        'README.md:3 docs/guides/a.md#nope',
        'README.md:4 docs/internal.md',
        'docs/internal.md:2 ./a.md',
      ].sort(),
    )
  })

  it('finds no broken link in this repository', () => {
    expect(checkLinks(root)).toEqual([])
  })
})
