/**
 * What `npm pack` ships: the build, the README, the changelog, the licence and the guides the README
 * links — nothing else (no sources, tests, examples, benches, CI scripts, the typedoc site). Every
 * relative link of README.md points at a file in the package, so the README read on npmjs.com or
 * in `node_modules` has no dead link.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')

/** The paths `npm pack` would put in the tarball (relative, `/`-separated). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, npm_config_loglevel: 'error' },
  })
  const [pack] = JSON.parse(out) as [{ files: { path: string }[] }]
  return pack.files.map((file) => file.path)
}

/**
 * The link targets of a Markdown text: inline links and images `[x](target "title")`, reference
 * definitions `[x]: target`, and HTML `href`/`src` attributes. Code spans and fenced blocks are
 * not text, so links quoted in them are ignored.
 */
function markdownLinks(markdown: string): string[] {
  const text = markdown.replace(/^(```|~~~)[\s\S]*?^\1/gm, '').replace(/`[^`\n]*`/g, '')
  const targets: string[] = []
  for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g))
    targets.push(match[1]!)
  for (const match of text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm))
    targets.push(match[1]!)
  for (const match of text.matchAll(/\b(?:href|src)\s*=\s*["']([^"']+)["']/g))
    targets.push(match[1]!)
  return targets
}

/** A relative link's file, relative to the package root (`undefined` for URLs and anchors). */
function linkedFile(target: string, from = '.'): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//') || target.startsWith('#'))
    return undefined
  const path = decodeURI(target.replace(/[?#].*$/, ''))
  return posix.normalize(posix.join(from, path)).replace(/^\.\//, '')
}

describe('npm pack', () => {
  let files: string[]
  beforeAll(() => {
    files = packedFiles()
  }, 120_000)

  it('ships the build, README, CHANGELOG, LICENSE and the linked guides only', () => {
    const allowed = [
      /^package\.json$/,
      /^README\.md$/,
      /^CHANGELOG\.md$/,
      /^LICENSE$/,
      /^docs\/(?:guides\/)?[\w.-]+\.md$/,
      /^docs\/bench-hot-path\.svg$/, // the README's benchmark chart
      /^dist\/[\w/.-]+\.(?:js|cjs|d\.ts|d\.cts|map)$/,
    ]
    expect(files.filter((file) => !allowed.some((pattern) => pattern.test(file)))).toEqual([])
    for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'])
      expect(files).toContain(file)
    // The typedoc site and the internal architecture notes stay in the repository.
    expect(files.filter((file) => file.startsWith('docs/api/'))).toEqual([])
  })

  it('ships an MIT LICENSE, as package.json says', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license: string }
    expect(pkg.license).toBe('MIT')
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/)
  })

  it('every relative link of README.md resolves to a file in the package', () => {
    const links = markdownLinks(readFileSync(join(root, 'README.md'), 'utf8'))
    const local = links.map((target) => linkedFile(target)).filter((file) => file !== undefined)
    expect(local.length).toBeGreaterThan(0)
    const packed = new Set(files)
    expect(local.filter((file) => !packed.has(file))).toEqual([])
  })

  it('the link reader finds links and tells relative ones from URLs', () => {
    const links = markdownLinks(
      [
        'See [a](docs/a.md#x), ![b](./img/b.png "t"), [c](https://x.example/c.md), [d](#top).',
        '[e]: docs/guides/e.md',
        '<a href="../f.md">f</a>',
        '`[g](not-a-link.md)`',
        '```md\n[h](in-a-fence.md)\n```',
      ].join('\n'),
    )
    expect(links).toEqual([
      'docs/a.md#x',
      './img/b.png',
      'https://x.example/c.md',
      '#top',
      'docs/guides/e.md',
      '../f.md',
    ])
    expect(links.map((target) => linkedFile(target))).toEqual([
      'docs/a.md',
      'img/b.png',
      undefined,
      undefined,
      'docs/guides/e.md',
      '../f.md',
    ])
  })
})
