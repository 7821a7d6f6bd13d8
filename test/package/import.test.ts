/**
 * The built package imports from plain ESM and CommonJS files, through its `exports` map.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
let dir: string

beforeAll(() => {
  if (
    !existsSync(join(root, 'dist', 'index.cjs')) ||
    !existsSync(join(root, 'dist', 'adapters', 'express', 'index.js'))
  ) {
    const built = spawnSync('npx', ['tsup'], { cwd: root, encoding: 'utf8' })
    if (built.status !== 0) throw new Error(`build failed:\n${built.stderr}`)
  }
  // A consumer project whose node_modules/oidc-session is this package.
  dir = mkdtempSync(join(tmpdir(), 'oidc-session-consumer-'))
  execFileSync('mkdir', ['-p', join(dir, 'node_modules')])
  symlinkSync(root, join(dir, 'node_modules', 'oidc-session'), 'dir')
}, 120_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

const run = (file: string, source: string) => {
  writeFileSync(join(dir, file), source)
  return execFileSync(process.execPath, [join(dir, file)], { cwd: dir, encoding: 'utf8' }).trim()
}

const probe = (load: string) => `
${load}
const out = {
  create: typeof root.createOidcSession,
  cookieStore: typeof root.cookieStore,
  isAjax: root.isAjax({ accept: 'application/json' }),
  error: new root.CallbackError('ERR_CALLBACK_INVALID', 'x').code,
  router: typeof express.oidcRouter,
}
console.log(JSON.stringify(out))`

describe('the built package', () => {
  const expected = {
    create: 'function',
    cookieStore: 'function',
    isAjax: true,
    error: 'ERR_CALLBACK_INVALID',
    router: 'function',
  }

  it('imports from an .mjs file', () => {
    const out = run(
      'probe.mjs',
      probe(
        `import * as root from 'oidc-session'\nimport * as express from 'oidc-session/express'`,
      ),
    )
    expect(JSON.parse(out)).toEqual(expected)
  })

  it('requires from a .cjs file', () => {
    const out = run(
      'probe.cjs',
      probe(
        `const root = require('oidc-session')\nconst express = require('oidc-session/express')`,
      ),
    )
    expect(JSON.parse(out)).toEqual(expected)
  })

  it('exposes package.json', () => {
    const out = run('pkg.cjs', `console.log(require('oidc-session/package.json').name)`)
    expect(out).toBe('oidc-session')
  })
})
