/**
 * The structure of `src/`: no import cycle (type-only imports included), no `node:*` import outside
 * the Node adapters and the Node backend of the session codec (`lib/seal-node.ts`, chosen by the
 * package's `#seal` import under the `node` condition), and the walls between parts that the architecture promises
 * (`docs/architecture.md`): the core never reaches an adapter or the Redis subpath, `tokens/` is
 * pure, only `oidc/` imports `oauth4webapi`, stores never read the manager's configuration.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const src = join(root, 'src')

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  )
}

const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g

/** Every import of every source file: relative ones resolved to files, others as written. */
const graph = new Map<string, { local: string[]; external: string[] }>()
for (const file of files(src)) {
  // Comments (TSDoc examples quote imports of user code) are not imports.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
  const local: string[] = []
  const external: string[] = []
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1]!
    if (spec.startsWith('.')) local.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')))
    else external.push(spec)
  }
  graph.set(file, { local, external })
}
const name = (file: string) => relative(src, file)

describe('src/ structure', () => {
  it('reads every source file and resolves every relative import', () => {
    expect(graph.size).toBeGreaterThan(40)
    for (const [file, { local }] of graph)
      for (const target of local)
        expect(graph.has(target), `${name(file)} → ${name(target)}`).toBe(true)
  })

  it('has no import cycle (type-only imports included)', () => {
    const state = new Map<string, 'visiting' | 'done'>()
    const cycles: string[] = []
    const stack: string[] = []
    const visit = (file: string) => {
      state.set(file, 'visiting')
      stack.push(file)
      for (const next of graph.get(file)?.local ?? []) {
        if (state.get(next) === 'visiting')
          cycles.push([...stack.slice(stack.indexOf(next)), next].map(name).join(' → '))
        else if (!state.has(next)) visit(next)
      }
      stack.pop()
      state.set(file, 'done')
    }
    for (const file of graph.keys()) if (!state.has(file)) visit(file)
    expect(cycles).toEqual([])
  })

  const part = (file: string) => name(file).split('/')[0]!
  const isNodeOnly = (file: string) =>
    name(file).startsWith('adapters/') || name(file) === 'lib/seal-node.ts'

  it('imports node:* only in the Node adapters and the Node seal backend', () => {
    const offenders = [...graph]
      .filter(
        ([file, { external }]) => !isNodeOnly(file) && external.some((s) => s.startsWith('node:')),
      )
      .map(([file]) => name(file))
    expect(offenders).toEqual([])
  })

  it('reaches the Node seal backend only through #seal (so Web bundles never see it)', () => {
    const direct = [...graph]
      .filter(([, { local }]) => local.some((target) => name(target) === 'lib/seal-node.ts'))
      .map(([file]) => name(file))
    expect(direct).toEqual([])
    const users = [...graph].filter(([, { external }]) => external.includes('#seal')).length
    expect(users).toBeGreaterThan(0)
  })

  it('keeps the walls: core → adapters/redis never, tokens/ pure, oauth4webapi only in oidc/, stores without config', () => {
    const broken: string[] = []
    for (const [file, { local, external }] of graph) {
      const from = name(file)
      const core =
        !from.startsWith('adapters/') &&
        !from.startsWith('stores/redis/') &&
        !from.startsWith('otel/')
      for (const target of local) {
        const to = name(target)
        if (
          core &&
          (to.startsWith('adapters/') || to.startsWith('stores/redis/') || to.startsWith('otel/'))
        )
          broken.push(`${from} → ${to}`)
        if (part(file) === 'tokens' && part(target) !== 'tokens' && to !== 'errors.ts')
          broken.push(`${from} → ${to} (tokens/ is pure)`)
        if (from.startsWith('stores/') && to === 'config.ts') broken.push(`${from} → ${to}`)
      }
      if (external.includes('@opentelemetry/api') && part(file) !== 'otel')
        broken.push(`${from} → @opentelemetry/api (only oidc-session/otel may import it)`)
      if (external.includes('oauth4webapi') && part(file) !== 'oidc') {
        // Type-only imports of oauth4webapi's response types are allowed outside oidc/.
        const text = readFileSync(file, 'utf8')
        if (/import\s+(?!type)[^;]*from\s+'oauth4webapi'/.test(text))
          broken.push(`${from} → oauth4webapi`)
      }
    }
    expect(broken).toEqual([])
  })
})
