/**
 * Start an example as a user would — `npm run example -- <name>` from the repository root — and
 * stop it. The library is built first when `dist/` is older than `src/` (under a lock, since
 * several test files may ask at once), so that the example's own check finds it current.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rawRequest } from '../fixtures/navigate.js'

export const ROOT = join(import.meta.dirname, '..', '..')

/** Newest modification time of any file below `dir`. */
function newest(dir: string): number {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile())
      latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  return latest
}

function current(): boolean {
  const built = join(ROOT, 'dist', 'index.js')
  return (
    existsSync(built) &&
    existsSync(join(ROOT, 'dist', 'adapters', 'hono', 'index.js')) &&
    statSync(built).mtimeMs >= newest(join(ROOT, 'src'))
  )
}

/** Build the library unless `dist/` is current; one build at a time across test processes. */
export async function ensureBuilt(): Promise<void> {
  if (current()) return
  const lock = join(
    tmpdir(),
    `oidc-session-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`,
  )
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      // Another process builds; a lock older than 10 minutes is left over from a crash.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 600_000) rmdirSync(lock)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  try {
    if (current()) return
    const build = spawnSync('npx', ['tsup'], { cwd: ROOT, encoding: 'utf8' })
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stderr}`)
  } finally {
    rmdirSync(lock)
  }
}

/** A running example. */
export interface Spawned {
  /** Everything it printed (stdout and stderr). */
  output(): string
  stop(): Promise<void>
}

/**
 * `npm run example -- <name>` with `env`; resolves once `GET /` answers on `appUrl` (the
 * contract's readiness signal).
 */
export async function spawnExample(
  name: string,
  appUrl: string,
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<Spawned> {
  let output = ''
  const child: ChildProcess = spawn('npm', ['run', '-s', 'example', '--', name], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: npm, tsx and the server stop together
  })
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGTERM')
      } catch {
        // already gone
      }
      await exited
    }
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the ${name} example exited early:\n${output}`)
    try {
      await rawRequest(`${appUrl}/`)
      break
    } catch {
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`the ${name} example did not answer GET / in time:\n${output}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  return { output: () => output, stop }
}
