/**
 * `npm run example -- <name>`: build the library if needed, then start examples/<name>/server.ts.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const name = process.argv[2]
const available = readdirSync(join(root, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
if (!name || !available.includes(name)) {
  console.error(`usage: npm run example -- <${available.join('|')}>`)
  process.exit(2)
}
if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('building oidc-session first (npm run build)…')
  const built = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' })
  if (built.status !== 0) process.exit(built.status ?? 1)
}
const child = spawn(
  process.execPath,
  ['--import', 'tsx', join(root, 'examples', name, 'server.ts')],
  { cwd: root, stdio: 'inherit', env: process.env },
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 0))
