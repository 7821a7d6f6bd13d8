/**
 * `npm run example -- <name>`: build the library if needed, then start examples/<name>/server.ts.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const name = process.argv[2]
const available = readdirSync(join(root, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'shared')
  .map((d) => d.name)
if (!name || !available.includes(name)) {
  console.error(`usage: npm run example -- <${available.join('|')}>`)
  process.exit(2)
}
/** Newest modification time of any file below `dir`. */
function newest(dir: string): number {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return latest
}

// The examples import the built package: build when dist/ is missing or older than src/.
const built = join(root, 'dist', 'index.js')
if (!existsSync(built) || statSync(built).mtimeMs < newest(join(root, 'src'))) {
  console.error('building oidc-session first (npm run build)…')
  const build = spawnSync('npm', ['run', 'build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (build.status !== 0) process.exit(build.status ?? 1)
}
const child = spawn(
  process.execPath,
  ['--import', 'tsx', join(root, 'examples', name, 'server.ts')],
  { cwd: root, stdio: 'inherit', env: process.env },
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 0))
