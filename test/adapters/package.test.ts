/**
 * The built package's adapter subpaths import from plain ESM and CommonJS files, and the Hono
 * adapter's module graph reaches no Node built-in (it must load on Web runtimes).
 */
import { builtinModules } from 'node:module'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, ensureBuilt } from '../examples/spawn.js'

let dir: string

beforeAll(async () => {
  await ensureBuilt()
  dir = mkdtempSync(join(tmpdir(), 'oidc-session-adapters-'))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(ROOT, join(dir, 'node_modules', 'oidc-session'), 'dir')
}, 300_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

const run = (file: string, source: string) => {
  writeFileSync(join(dir, file), source)
  return JSON.parse(
    execFileSync(process.execPath, [join(dir, file)], { cwd: dir, encoding: 'utf8' }),
  ) as unknown
}

const probe = `
const out = {
  node: [typeof node.handler, typeof node.protect, typeof node.toWebRequest, typeof node.sendWebResponse],
  express: [typeof express.oidcRouter, typeof express.protect, typeof express.sendWebResponse],
  koa: [typeof koa.oidcRouter, typeof koa.protect, typeof koa.sendWebResponse],
  fastify: [typeof fastify.oidcPlugin, typeof fastify.protect, fastify.oidcPlugin[Symbol.for('skip-override')]],
  hono: [typeof hono.oidcRouter, typeof hono.protect, typeof hono.authenticate],
}
console.log(JSON.stringify(out))`

const expected = {
  node: ['function', 'function', 'function', 'function'],
  express: ['function', 'function', 'function'],
  koa: ['function', 'function', 'function'],
  fastify: ['function', 'function', true],
  hono: ['function', 'function', 'function'],
}
const SUBPATHS = ['node', 'express', 'koa', 'fastify', 'hono']

describe('the built adapter subpaths', () => {
  it('import from an .mjs file', () => {
    const imports = SUBPATHS.map((name) => `import * as ${name} from 'oidc-session/${name}'`).join(
      '\n',
    )
    expect(run('probe.mjs', `${imports}\n${probe}`)).toEqual(expected)
  })

  it('require from a .cjs file', () => {
    const requires = SUBPATHS.map((name) => `const ${name} = require('oidc-session/${name}')`).join(
      '\n',
    )
    expect(run('probe.cjs', `${requires}\n${probe}`)).toEqual(expected)
  })

  it('oidc-session/hono reaches no Node built-in, in either build', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)])
    for (const entry of ['index.js', 'index.cjs']) {
      const seen = new Set<string>()
      const found: string[] = []
      const visit = (file: string) => {
        if (seen.has(file)) return
        seen.add(file)
        const source = readFileSync(file, 'utf8')
        for (const [, specifier] of source.matchAll(/(?:from\s+|require\()\s*['"]([^'"]+)['"]/g)) {
          if (specifier!.startsWith('.')) visit(resolve(dirname(file), specifier!))
          else if (builtins.has(specifier!)) found.push(specifier!)
        }
      }
      visit(join(ROOT, 'dist', 'adapters', 'hono', entry))
      expect(seen.size).toBeGreaterThan(1)
      expect(found).toEqual([])
    }
  })
})
