/**
 * Next.js configuration of the example. The app imports the library by its own package name:
 * `oidc-session` resolves to this repository's `dist/` through the root `package.json` `exports`
 * (a package may import itself by name), for Turbopack (`next build`) and webpack
 * (`next build --webpack`) alike.
 */
import { realpathSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
// In an app of your own: `import type { NextConfig } from 'next'`. Importing it from its module
// keeps Next.js's global `process.env` typing out of this repository's shared type-check.
import type { NextConfig } from 'next/dist/server/config-shared'

const repository = resolve(import.meta.dirname, '../..')

/**
 * Turbopack compiles only files below its root: the repository, or — when `node_modules` is a
 * symlink to another checkout (git worktrees) — the closest directory holding both.
 */
function workspaceRoot(): string {
  const modules = dirname(realpathSync(join(repository, 'node_modules')))
  const a = repository.split(sep)
  const b = modules.split(sep)
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return a.slice(0, i).join(sep) || sep
}

const root = workspaceRoot()

const config: NextConfig = {
  poweredByHeader: false,
  turbopack: { root },
  outputFileTracingRoot: root,
}

export default config
