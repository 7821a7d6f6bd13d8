/**
 * What an Edge middleware imports — `oidc-session` and `oidc-session/next` — bundles for a
 * runtime without Node.js: no `node:*` module and no Node built-in anywhere in the graph (esbuild
 * with Next.js's Edge conditions, `next` itself left out).
 */
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const src = (path: string) => fileURLToPath(new URL(`../../../src/${path}`, import.meta.url))
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))

describe('the Edge bundle', () => {
  it('oidc-session and oidc-session/next import no Node.js module', async () => {
    const result = await build({
      stdin: {
        contents: `export * from ${JSON.stringify(src('index.ts'))}\nexport * from ${JSON.stringify(src('adapters/next/index.ts'))}`,
        resolveDir: process.cwd(),
        loader: 'ts',
      },
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      conditions: ['edge-light', 'worker', 'browser', 'import'],
      external: ['next', 'next/*'],
      logLevel: 'silent',
    })
    const imports = Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.map((i) => i.path),
    )
    expect(imports.filter((path) => builtins.has(path) || path.startsWith('node:'))).toEqual([])
    const external = imports.filter((path) => !Object.hasOwn(result.metafile.inputs, path))
    expect(new Set(external)).toEqual(new Set(['next/headers.js', 'next/server.js']))
    // The graph is the real one: the adapter and the core are in it.
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.some((path) => path.endsWith('src/adapters/next/index.ts'))).toBe(true)
    expect(inputs.some((path) => path.endsWith('src/request/forward-cookies.ts'))).toBe(true)
    expect(inputs.some((path) => path.includes('node_modules/jose/'))).toBe(true)
  })
})
