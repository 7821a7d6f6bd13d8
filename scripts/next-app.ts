/**
 * Build and start the Next.js examples (`examples/next`, `examples/next-edge`): shared by
 * `npm run example -- next` and the end-to-end tests. A build is skipped when its inputs (the
 * example's files, the library's `dist/`, the Next.js version) are those of the last build, and
 * builds never overlap (a lock directory), so several test files may ask for the same app.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root directory. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Names of the Next.js examples. */
export const NEXT_EXAMPLES: readonly string[] = ['next', 'next-edge']

/** The `next` CLI of the repository's dependencies. */
export const nextBin = createRequire(join(root, 'package.json')).resolve('next/dist/bin/next')

const IGNORED = new Set(['.next', 'node_modules', 'next-env.d.ts', 'README.md'])

/** Every file below `dir` (skipping build output), sorted. */
function files(dir: string, skip = IGNORED): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...files(path, skip))
    else if (entry.isFile()) out.push(path)
  }
  return out.sort()
}

/** Newest modification time of any file below `dir`. */
function newest(dir: string): number {
  return Math.max(0, ...files(dir, new Set()).map((file) => statSync(file).mtimeMs))
}

/** Hash of what a build depends on. */
function fingerprint(app: string): string {
  const hash = createHash('sha256')
  const nextVersion = (
    JSON.parse(
      readFileSync(createRequire(join(root, 'package.json')).resolve('next/package.json'), 'utf8'),
    ) as { version: string }
  ).version
  hash.update(`next@${nextVersion}\n`)
  for (const file of [...files(app), ...files(join(root, 'dist'))]) {
    hash.update(`${relative(root, file)}\n`)
    hash.update(readFileSync(file))
  }
  return hash.digest('hex')
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Run `task` while holding the repository's build lock (a directory; a dead holder's is taken over). */
async function withBuildLock<T>(task: () => T): Promise<T> {
  const lock = join(root, '.cache', 'next-build.lock')
  mkdirSync(dirname(lock), { recursive: true })
  const deadline = Date.now() + 15 * 60_000
  for (;;) {
    try {
      mkdirSync(lock)
      writeFileSync(join(lock, 'pid'), String(process.pid))
      break
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error
      let holder = NaN
      try {
        holder = Number(readFileSync(join(lock, 'pid'), 'utf8'))
      } catch {
        // Being created or removed right now.
      }
      let alive = true
      if (Number.isInteger(holder)) {
        try {
          process.kill(holder, 0)
        } catch {
          alive = false
        }
      }
      if (!alive) rmSync(lock, { recursive: true, force: true })
      else if (Date.now() > deadline) throw new Error(`${lock} is held by process ${holder}`)
      else await sleep(250)
    }
  }
  try {
    return task()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** What {@link buildNextApp} did. */
export interface BuildReport {
  /** `false` when the last build was still current. */
  built: boolean
  /** Wall-clock milliseconds of `next build` (0 when skipped). */
  ms: number
  /** Whether the library's `dist/` had to be built first. */
  library: boolean
}

/**
 * Build the library when `dist/` is missing or older than `src/`, then `next build` the example
 * unless its last build is current. Output goes to `log` (default: nowhere); a failed build throws
 * with the end of its output.
 */
export async function buildNextApp(
  name: string,
  options: { log?: (line: string) => void; webpack?: boolean } = {},
): Promise<BuildReport> {
  if (!NEXT_EXAMPLES.includes(name)) throw new Error(`not a Next.js example: ${name}`)
  const app = join(root, 'examples', name)
  const stamp = join(app, '.next', 'oidc-session-build')
  return withBuildLock(() => {
    let library = false
    const built = join(root, 'dist', 'adapters', 'next', 'index.js')
    if (!existsSync(built) || statSync(built).mtimeMs < newest(join(root, 'src'))) {
      options.log?.('building oidc-session first (npm run build)…')
      const result = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' })
      if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stderr}`)
      library = true
    }
    const print = `${fingerprint(app)}${options.webpack ? ' webpack' : ''}`
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === print)
      return { built: false, ms: 0, library }
    options.log?.(`next build examples/${name}…`)
    const started = Date.now()
    const result = spawnSync(
      process.execPath,
      [nextBin, 'build', ...(options.webpack ? ['--webpack'] : [])],
      {
        cwd: app,
        encoding: 'utf8',
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
        maxBuffer: 64 * 1024 * 1024,
      },
    )
    const ms = Date.now() - started
    if (result.status !== 0) {
      const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-40).join('\n')
      throw new Error(`next build of examples/${name} failed:\n${output}`)
    }
    writeFileSync(stamp, print)
    return { built: true, ms, library }
  })
}

/**
 * Start `next start` for a built example on `127.0.0.1:port`, in its own process group (so
 * {@link stopNextApp} ends Next.js's server process too).
 */
export function startNextApp(
  name: string,
  port: number,
  env: Record<string, string | undefined>,
  stdio: 'inherit' | 'pipe' | 'ignore' = 'inherit',
): ChildProcess {
  return spawn(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: join(root, 'examples', name),
    env: { ...env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', PORT: String(port) },
    stdio,
    detached: true,
  })
}

/** Stop a server started by {@link startNextApp} (its whole process group) and wait for it. */
export async function stopNextApp(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    process.kill(-child.pid, 'SIGTERM')
  } catch {
    return
  }
  await exited
}
