/**
 * `npm run bench -- size`: the minified + gzipped size of each entry point of the built package, as
 * an application bundle would ship it, with `jose` and `oauth4webapi` shown apart.
 *
 * Builds the package (`npm run build`; `BENCH_SKIP_BUILD=1` reuses dist/), then bundles every ESM
 * file that package.json's `exports` names (under each condition) with esbuild (`--minify`,
 * ES2022; `platform: node` for the entries that import Node built-ins or sit under a `node` condition,
 * `neutral` otherwise), peer dependencies and `node:*` kept external, and measures:
 *
 * - the whole bundle, gzipped (level 9) — what an app pays for this entry;
 * - the same with `jose` and `oauth4webapi` external — the library's own code (and `cookie`);
 * - from esbuild's metafile, the minified bytes each package contributes to the whole bundle.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build, type Metafile } from 'esbuild'
import { report, type RowInput } from '../report.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
  exports: Record<string, unknown>
  peerDependencies?: Record<string, string>
}
const PEERS = Object.keys(pkg.peerDependencies ?? {})
const PROTOCOL = ['jose', 'oauth4webapi']

if (process.env.BENCH_SKIP_BUILD !== '1' || !existsSync(`${ROOT}dist`)) {
  console.log('npm run build …')
  const built = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (built.status !== 0) throw new Error('npm run build failed')
}

/** Every ESM JavaScript file of `exports`, with the conditions that lead to it. */
function entries(): { subpath: string; conditions: string[]; file: string }[] {
  const found: { subpath: string; conditions: string[]; file: string }[] = []
  const walk = (subpath: string, value: unknown, conditions: string[]) => {
    if (typeof value === 'string') {
      if (value.endsWith('.js') || value.endsWith('.mjs'))
        found.push({ subpath, conditions, file: value })
      return
    }
    if (value && typeof value === 'object')
      for (const [key, inner] of Object.entries(value))
        if (key !== 'types' && key !== 'require') walk(subpath, inner, [...conditions, key])
  }
  for (const [subpath, value] of Object.entries(pkg.exports)) walk(subpath, value, [])
  const seen = new Set<string>()
  return found.filter((e) => !seen.has(e.file) && seen.add(e.file))
}

interface Measured {
  minified: number
  gzipped: number
  metafile: Metafile
}
async function bundle(
  file: string,
  platform: 'node' | 'neutral',
  external: string[],
): Promise<Measured> {
  const result = await build({
    entryPoints: [`${ROOT}${file}`],
    bundle: true,
    minify: true,
    format: 'esm',
    platform,
    target: 'es2022',
    // Neutral: resolve packages as a bundler for the Web would (ESM entry points, no `node`).
    ...(platform === 'neutral'
      ? { mainFields: ['module', 'main'], conditions: ['import', 'default'] }
      : {}),
    external: [...external, ...PEERS, ...PEERS.map((p) => `${p}/*`), 'node:*'],
    metafile: true,
    write: false,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]!.contents
  return {
    minified: code.byteLength,
    gzipped: gzipSync(code, { level: 9 }).byteLength,
    metafile: result.metafile,
  }
}

/** Minified bytes per package in the output (our dist files count as "oidc-session"). */
function attribute(metafile: Metafile): Map<string, number> {
  const bytes = new Map<string, number>()
  for (const output of Object.values(metafile.outputs))
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)
      const name = match ? match[1]! : 'oidc-session'
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput)
    }
  return bytes
}
const importsNode = (metafile: Metafile) =>
  Object.values(metafile.inputs).some((input) =>
    input.imports.some((i) => i.path.startsWith('node:')),
  )

const rows: RowInput[] = []
const table: string[] = []
for (const entry of entries()) {
  const label = `oidc-session${entry.subpath === '.' ? '' : entry.subpath.slice(1)}`
  const conditions = entry.conditions.filter((c) => c !== 'import' && c !== 'default')
  const name = conditions.length > 0 ? `${label} [${conditions.join(', ')}]` : label
  // A first pass (neutral) tells whether the entry needs Node; `node` conditions are Node's anyway.
  let platform: 'node' | 'neutral' = conditions.includes('node') ? 'node' : 'neutral'
  let all = await bundle(entry.file, platform, []).catch(() => undefined)
  if (!all || (platform === 'neutral' && importsNode(all.metafile))) {
    // It imports Node built-ins (tsup writes some without the `node:` prefix, which a neutral
    // build cannot resolve): bundle it for Node.
    platform = 'node'
    all = await bundle(entry.file, platform, [])
  }
  const own = await bundle(entry.file, platform, PROTOCOL)
  const parts = attribute(all.metafile)
  const row = `size of ${name} (${entry.file.replace('./', '')}): esbuild --minify, ${platform}, gzip -9`
  const byPackage = [...parts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([p, b]) => `${p} ${b} B`)
    .join(', ')
  const protocol = all.gzipped - own.gzipped
  rows.push({
    row,
    contender:
      protocol > 0
        ? 'all in (jose + oauth4webapi bundled)'
        : 'all in (imports neither jose nor oauth4webapi)',
    figure: all.gzipped,
    unit: 'B',
    better: 'lower',
    runs: 1,
    reference: true,
    note: `${all.minified} B minified; minified bytes by package: ${byPackage}`,
  })
  if (protocol > 0)
    rows.push(
      {
        row,
        contender: 'own code (jose + oauth4webapi external)',
        figure: own.gzipped,
        unit: 'B',
        better: 'lower',
        runs: 1,
        note: `${own.minified} B minified`,
      },
      {
        row,
        contender: 'jose + oauth4webapi (all in − own code)',
        figure: protocol,
        unit: 'B',
        better: 'lower',
        runs: 1,
        note: `minified in the whole bundle: jose ${parts.get('jose') ?? 0} B, oauth4webapi ${parts.get('oauth4webapi') ?? 0} B`,
      },
    )
  table.push(
    `| ${name} | ${platform} | ${all.gzipped} | ${own.gzipped} | ${protocol} | ${all.minified} | ${parts.get('oidc-session') ?? 0} | ${parts.get('cookie') ?? 0} | ${parts.get('jose') ?? 0} | ${parts.get('oauth4webapi') ?? 0} |`,
  )
}

console.log(
  `Entry points of the built package, bundled by esbuild (minified, ES2022), peers and node:* external\n`,
)
console.log(
  '| entry | platform | all in, gzip | own code, gzip (jose + oauth4webapi external) | jose + oauth4webapi, gzip (difference) | all in, minified | of which oidc-session | cookie | jose | oauth4webapi |',
)
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|')
for (const line of table) console.log(line)
console.log(
  '\nBytes. The last four columns: minified bytes by package (esbuild metafile). An adapter entry takes the `auth` object from the core entry: an app ships both.',
)
report('size', rows)
