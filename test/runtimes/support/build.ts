/**
 * Builds what the runtimes run: the library as it is published (the project's own tsup build, in
 * a private copy under `.cache/runtimes/`, keyed by the sources), installed in a consumer folder
 * as `node_modules/oidc-session`, then the test app bundled per runtime with esbuild through the
 * package's `exports` map and the runtime's resolve conditions.
 *
 * A private build rather than `dist/`: the packaging test and `npm run build` may rewrite
 * `dist/` (tsup cleans it first) while these tests read it, and a stale `dist/` would test old
 * code. The build is the project's `tsup.config.ts` with only `outDir` changed and no
 * declarations; the package.json is the project's own.
 */
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join, relative } from 'node:path'

import { build, type Plugin } from 'esbuild'

/** The repository root. */
export const root = join(import.meta.dirname, '..', '..', '..')
const cacheRoot = join(root, '.cache', 'runtimes')

/** The runtimes under test. */
export type Runtime = 'bun' | 'deno' | 'workerd'

/** Every file below `dir`, sorted, as paths relative to the root. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort()
}

/** A hash of everything the published package is built from. */
function sourceHash(): string {
  const hash = createHash('sha256')
  const inputs = [
    ...filesBelow(join(root, 'src')),
    'package.json',
    'tsup.config.ts',
    'tsconfig.json',
    'tsconfig.build.json',
  ]
  for (const file of inputs) {
    hash.update(`${file}\0`)
    hash.update(readFileSync(join(root, file)))
    hash.update('\0')
  }
  return hash.digest('hex').slice(0, 16)
}

/**
 * A consumer folder whose `node_modules/oidc-session` is the package built from the current
 * sources (package.json + `dist/`). Built once per source state; concurrent test files each may
 * build, the first to finish wins (an atomic rename), the others discard theirs.
 *
 * @returns the consumer folder
 * @throws when the build fails (with tsup's output)
 */
export function builtPackage(): string {
  const final = join(cacheRoot, `pkg-${sourceHash()}`)
  if (existsSync(join(final, 'node_modules', 'oidc-session', 'dist', 'index.js'))) return final
  mkdirSync(cacheRoot, { recursive: true })
  const scratch = join(cacheRoot, `tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  const pkg = join(scratch, 'node_modules', 'oidc-session')
  mkdirSync(pkg, { recursive: true })
  // The consumer's own package.json: without it, the repository's (named oidc-session) would be
  // the nearest one, and resolvers would take `oidc-session` as a self-reference to the root.
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'oidc-session-runtimes-consumer', private: true, type: 'module' }),
  )
  copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'))
  const script = `const { build } = await import('tsup')
await build({ outDir: process.env.OUT_DIR, dts: false, sourcemap: false, silent: true })`
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, OUT_DIR: join(pkg, 'dist') },
    encoding: 'utf8',
  })
  if (result.status !== 0) {
    rmSync(scratch, { recursive: true, force: true })
    throw new Error(`building oidc-session failed:\n${result.stderr}${result.stdout}`)
  }
  try {
    renameSync(scratch, final)
  } catch {
    // Another test file finished the same build first: use theirs.
    rmSync(scratch, { recursive: true, force: true })
  }
  // Builds of older sources, unused for a day, go.
  for (const entry of readdirSync(cacheRoot)) {
    const path = join(cacheRoot, entry)
    if (path !== final && Date.now() - statSync(path).mtimeMs > 86_400_000)
      rmSync(path, { recursive: true, force: true })
  }
  return final
}

/** Resolves `oidc-session` and its subpaths from the consumer folder, through its `exports` map. */
function builtOidcSession(consumer: string): Plugin {
  return {
    name: 'built-oidc-session',
    setup(b) {
      b.onResolve({ filter: /^oidc-session(\/.*)?$/ }, async (args) => {
        if (args.pluginData === 'consumer') return undefined
        const resolved = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: consumer,
          pluginData: 'consumer',
        })
        if (resolved.errors.length > 0) return { errors: resolved.errors }
        return { path: resolved.path, external: resolved.external }
      })
    },
  }
}

/** esbuild's platform and resolve conditions per runtime, as each runtime's own resolver has them. */
const targets: Record<
  Runtime,
  { entry: string; platform: 'node' | 'browser'; conditions: string[] }
> = {
  // Bun resolves `bun` first, then `node`; `node:*` builtins are available.
  bun: { entry: 'launch/bun.ts', platform: 'node', conditions: ['bun'] },
  // Deno resolves npm packages with `deno`, then `node`; `node:*` builtins are available.
  deno: { entry: 'launch/deno.ts', platform: 'node', conditions: ['deno'] },
  // Workers: wrangler's conditions; no Node builtins (no `nodejs_compat`), so a `node:*`
  // import fails the bundle instead of being left external.
  workerd: { entry: 'app.ts', platform: 'browser', conditions: ['workerd', 'worker', 'browser'] },
}

/** What a bundle is: its code and the inputs esbuild read from the built package. */
interface Bundle {
  code: Uint8Array
  packageInputs: string[]
}

// Bundles of this test process, by runtime and built package: a test file that starts several
// apps bundles once.
const bundles = new Map<string, Promise<Bundle>>()

async function bundle(runtime: Runtime, consumer: string): Promise<Bundle> {
  const target = targets[runtime]
  const result = await build({
    entryPoints: [join(import.meta.dirname, '..', target.entry)],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: target.platform,
    conditions: target.conditions,
    outfile: 'app.mjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [builtOidcSession(consumer)],
  })
  const inputs = Object.keys(result.metafile.inputs)
  if (runtime === 'workerd') {
    const nodeImports = Object.values(result.metafile.outputs).flatMap((output) =>
      output.imports.map((i) => i.path),
    )
    if (nodeImports.length > 0)
      throw new Error(`the workerd bundle imports ${nodeImports.join(', ')} (no nodejs_compat)`)
  }
  const packageInputs = inputs.filter((input) => input.includes('node_modules/oidc-session/'))
  if (packageInputs.length === 0)
    throw new Error('the bundle does not contain the built oidc-session package')
  const [output] = result.outputFiles
  if (!output) throw new Error('esbuild wrote no bundle')
  return { code: output.contents, packageInputs }
}

/**
 * Bundle the test app for `runtime` into `outDir/app.mjs` (once per test process and source
 * state; later calls write the same bundle).
 *
 * @param runtime which runtime's launcher, platform and conditions
 * @param outDir where to write the bundle
 * @returns the bundle's path and the inputs esbuild read from the built package
 * @throws when the bundle fails or (workerd) imports a `node:*` module
 */
export async function bundleApp(
  runtime: Runtime,
  outDir: string,
): Promise<{ file: string; packageInputs: string[] }> {
  const consumer = builtPackage()
  const key = `${runtime}\0${consumer}`
  let pending = bundles.get(key)
  if (!pending) {
    pending = bundle(runtime, consumer)
    bundles.set(key, pending)
    pending.catch(() => bundles.delete(key))
  }
  const { code, packageInputs } = await pending
  const file = join(outDir, 'app.mjs')
  writeFileSync(file, code)
  return { file, packageInputs }
}

/**
 * Bundle the edge stand-in (`edge.ts`, no library code) for workerd into `outDir/edge.mjs`.
 *
 * @param outDir where to write the bundle
 * @returns the bundle's path
 */
export async function bundleEdge(outDir: string): Promise<string> {
  const file = join(outDir, 'edge.mjs')
  await build({
    entryPoints: [join(import.meta.dirname, '..', 'edge.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    outfile: file,
    logLevel: 'silent',
  })
  return file
}
