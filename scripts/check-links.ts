/**
 * `npm run docs` runs this after typedoc: every relative link and anchor in README.md and
 * docs/**\/*.md must resolve (the file exists; a `#fragment` names a heading of that file, slugged
 * as GitHub slugs them), and every relative link of README.md must point into a file the npm
 * package ships (`files` in package.json, `!` exclusions included), because the README is also read on npm and from
 * node_modules. Absolute links (`https:`, `mailto:`) are not fetched. Exits 1 with one line per
 * broken link.
 *
 * `tsx scripts/check-links.ts [root]` (default: the repository root).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One broken link: where it is and why. */
export interface BrokenLink {
  file: string
  line: number
  target: string
  problem: string
}

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/<[^>]*>/g, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** The lines of a markdown file outside fenced code blocks and front matter (others blanked). */
function proseLines(text: string): string[] {
  const lines = text.split('\n')
  let fence: string | undefined
  let frontMatter = lines[0] === '---'
  return lines.map((line, i) => {
    if (frontMatter) {
      if (i > 0 && line === '---') frontMatter = false
      return ''
    }
    const open = /^\s{0,3}(`{3,}|~{3,})/.exec(line)
    if (fence) {
      if (open && open[1]!.startsWith(fence)) fence = undefined
      return ''
    }
    if (open) {
      fence = open[1]!
      return ''
    }
    return line.replace(/`[^`]*`/g, '') // inline code is not a link
  })
}

/** Every anchor a markdown file offers: heading slugs (with GitHub's -1, -2 suffixes) and ids. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  const lines = text.split('\n')
  let fence: string | undefined
  for (const line of lines) {
    const open = /^\s{0,3}(`{3,}|~{3,})/.exec(line)
    if (fence) {
      if (open && open[1]!.startsWith(fence)) fence = undefined
      continue
    }
    if (open) {
      fence = open[1]!
      continue
    }
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (heading) {
      const base = slug(heading[1]!)
      const count = seen.get(base) ?? 0
      seen.set(base, count + 1)
      anchors.add(count === 0 ? base : `${base}-${count}`)
    }
    for (const id of line.matchAll(/\b(?:id|name)="([^"]+)"/g)) anchors.add(id[1]!)
  }
  return anchors
}

/** The link targets on one line: `[text](target)`, `[ref]: target`, `href="target"`. */
function targetsOf(line: string): string[] {
  const targets: string[] = []
  for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!)
  const ref = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line)
  if (ref) targets.push(ref[1]!)
  for (const m of line.matchAll(/\b(?:href|src)="([^"]+)"/g)) targets.push(m[1]!)
  return targets
}

/** A matcher for package.json `files` entries (a path, a folder, or a glob with `*` / `**`). */
function packageFiles(root: string): (path: string) => boolean {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files?: string[] }
  const compile = (entry: string) => {
    const clean = entry.replace(/^\.\//, '').replace(/\/$/, '')
    if (!/[*?]/.test(clean)) return (path: string) => path === clean || path.startsWith(`${clean}/`)
    const source = clean
      .split(/(\*\*\/|\*\*|\*|\?)/)
      .map((part) =>
        part === '**/'
          ? '(?:.*/)?'
          : part === '**'
            ? '.*'
            : part === '*'
              ? '[^/]*'
              : part === '?'
                ? '[^/]'
                : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
      )
      .join('')
    const re = new RegExp(`^${source}(?:/.*)?$`)
    return (path: string) => re.test(path)
  }
  const entries = pkg.files ?? []
  const included = entries.filter((e) => !e.startsWith('!')).map(compile)
  const excluded = entries.filter((e) => e.startsWith('!')).map((e) => compile(e.slice(1)))
  // npm always ships these.
  const always = /^(package\.json|readme(\.[^/]*)?|license(\.[^/]*)?|licence(\.[^/]*)?)$/i
  return (path) =>
    always.test(path) ||
    (included.some((match) => match(path)) && !excluded.some((match) => match(path)))
}

function markdownFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'api' ? [] : markdownFiles(path)
    return entry.name.endsWith('.md') ? [path] : []
  })
}

/**
 * Check every relative link of README.md and docs/**\/*.md under `root`.
 *
 * @param root the repository root
 * @returns the broken links (empty when all resolve)
 */
export function checkLinks(root: string): BrokenLink[] {
  const readme = join(root, 'README.md')
  const files = [readme, ...markdownFiles(join(root, 'docs'))].filter((f) => existsSync(f))
  const shipped = packageFiles(root)
  const anchorCache = new Map<string, Set<string>>()
  const anchors = (file: string) => {
    let set = anchorCache.get(file)
    if (!set) anchorCache.set(file, (set = anchorsOf(readFileSync(file, 'utf8'))))
    return set
  }
  const broken: BrokenLink[] = []
  for (const file of files) {
    const name = relative(root, file).split(sep).join('/')
    proseLines(readFileSync(file, 'utf8')).forEach((line, index) => {
      for (const target of targetsOf(line)) {
        if (ABSOLUTE.test(target) || target.startsWith('//')) continue
        const report = (problem: string) =>
          broken.push({ file: name, line: index + 1, target, problem })
        const [pathPart = '', fragment] = target.split('#', 2)
        const path = decodeURIComponent(pathPart)
        const resolved = path === '' ? file : resolve(dirname(file), path)
        const inRepo = relative(root, resolved).split(sep).join('/')
        if (inRepo.startsWith('..')) {
          report('points outside the repository')
          continue
        }
        if (!existsSync(resolved)) {
          report('no such file')
          continue
        }
        if (file === readme && path !== '' && !shipped(inRepo)) {
          report('not shipped in the npm package (package.json "files"): link it absolutely')
        }
        if (fragment !== undefined && fragment !== '') {
          if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
            report('an anchor into a file that is not markdown')
          } else if (!anchors(resolved).has(decodeURIComponent(fragment))) {
            report(`no heading for #${fragment}`)
          }
        }
      }
    })
  }
  return broken
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'))
  const broken = checkLinks(root)
  for (const b of broken) console.error(`${b.file}:${b.line}: ${b.target} — ${b.problem}`)
  if (broken.length > 0) {
    console.error(`${broken.length} broken link(s)`)
    process.exit(1)
  }
  console.log('links: every relative link and anchor resolves')
}
