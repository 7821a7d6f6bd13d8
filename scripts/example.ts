/**
 * `npm run example -- <name>`: build the library if needed, then start examples/<name>/server.ts;
 * for `next` and `next-edge`, `next build` the app (skipped when current) and `next start` it on
 * `PORT`.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildNextApp, NEXT_EXAMPLES, startNextApp, stopNextApp } from './next-app.js'

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

if (NEXT_EXAMPLES.includes(name)) {
  const port = Number(process.env.PORT ?? 3000)
  try {
    const report = await buildNextApp(name, { log: (line) => console.error(line) })
    if (report.built) console.error(`next build took ${(report.ms / 1000).toFixed(1)} s`)
  } catch (error) {
    console.error((error as Error).message)
    process.exit(1)
  }
  const server = startNextApp(name, port, process.env)
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => void stopNextApp(server).then(() => process.exit(0)))
  server.on('exit', (code) => process.exit(code ?? 0))
} else {
  startServer(name)
}

function startServer(name: string): void {
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
}
