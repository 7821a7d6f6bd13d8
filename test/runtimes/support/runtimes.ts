/**
 * Starts the bundled test app on Bun, Deno or workerd, on a free loopback port, and stops it.
 * The binaries come from the dev dependencies (`node_modules/.bin`); a missing or broken binary
 * throws, never skips.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { freePort } from '../../fixtures/provider.js'
import { ENV_NAMES, type RuntimeEnv } from '../app.js'
import { bundleApp, bundleEdge, root, type Runtime } from './build.js'

/** A runtime serving the test app. */
export interface RunningApp {
  runtime: Runtime
  /** `http://127.0.0.1:PORT`. */
  url: string
  /** `bun 1.x`, `deno 2.x`, `workerd 2026-…` (the binary's own answer). */
  version: string
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  /** Milliseconds from spawn to the first answer of `/__test/health`. */
  startupMs: number
  /** Stops the process (SIGTERM, then SIGKILL) and removes its folder. */
  stop(): Promise<void>
}

/** Options of {@link startApp}. */
export interface StartOptions {
  /** The app's environment; `APP_URL` is set from the port chosen. */
  env: Omit<RuntimeEnv, 'APP_URL'>
  /** The port (default: a free one); needed beforehand when the client is registered first. */
  port?: number
  /** workerd only: the worker's `compatibilityDate`. Default {@link WORKERD_COMPATIBILITY_DATE}. */
  compatibilityDate?: string
  /** workerd only: extra compatibility flags. Default none (no `nodejs_compat`). */
  compatibilityFlags?: string[]
  /**
   * workerd only: send every outbound `fetch()` of the worker to this loopback port (an HTTP
   * proxy such as `startOutboundProxy`) instead of the loopback network.
   */
  outboundPort?: number
  /**
   * workerd only: serve the app behind the edge stand-in (`edge.ts`, a second worker calling the
   * app through a service binding), so a test can cancel a request as the edge would.
   */
  edge?: boolean
}

/** The compatibility date the Workers tests use by default (a recent one, as a new project would). */
export const WORKERD_COMPATIBILITY_DATE = '2026-10-01'

/** The binary of `runtime` from the dev dependencies; throws when it is missing or does not run. */
export function binary(runtime: Runtime): { path: string; version: string } {
  const path = join(root, 'node_modules', '.bin', runtime)
  if (!existsSync(path))
    throw new Error(`${runtime}: ${path} is missing (the "${runtime}" dev dependency)`)
  const run = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 })
  if (run.status !== 0)
    throw new Error(`${runtime}: ${path} --version failed: ${run.error?.message ?? run.stderr}`)
  return { path, version: run.stdout.trim().split('\n')[0] ?? '' }
}

/** A capnp text literal. */
const text = (value: string) => JSON.stringify(value)

/** The workerd configuration: one worker, a loopback socket, an outbound network that may reach loopback. */
function workerdConfig(opts: {
  port: number
  env: RuntimeEnv
  compatibilityDate: string
  compatibilityFlags: string[]
  outboundPort: number | undefined
  edge: boolean
}): string {
  const bindings = Object.entries(opts.env)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([name, value]) => `    (name = ${text(name)}, text = ${text(value)}),`)
    .join('\n')
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "app", worker = .app),${
      opts.edge
        ? `
    (name = "edge", worker = (
      modules = [(name = "edge.mjs", esModule = embed "edge.mjs")],
      compatibilityDate = ${text(opts.compatibilityDate)},
      bindings = [(name = "APP", service = "app")],
    )),`
        : ''
    }
    # The default "internet" service allows public addresses only (an SSRF guard): the provider
    # listens on 127.0.0.1, so the worker's fetch() goes through a network that allows "local".
    ${
      opts.outboundPort === undefined
        ? '(name = "loopback", network = (allow = ["local"])),'
        : `(name = "loopback", external = (address = "127.0.0.1:${opts.outboundPort}", http = ())),`
    }
  ],
  sockets = [(name = "http", address = "127.0.0.1:${opts.port}", http = (), service = "${opts.edge ? 'edge' : 'app'}")],
);

const app :Workerd.Worker = (
  modules = [(name = "app.mjs", esModule = embed "app.mjs")],
  compatibilityDate = ${text(opts.compatibilityDate)},
  compatibilityFlags = [${opts.compatibilityFlags.map(text).join(', ')}],
  bindings = [
${bindings}
  ],
  globalOutbound = "loopback",
);
`
}

/** Waits for `GET /__test/health` to answer 200 (the child's exit or 30 s fail it). */
async function ready(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000
  let exited: number | string | null | undefined
  child.once('exit', (code, signal) => (exited = code ?? signal))
  for (;;) {
    if (exited !== undefined) throw new Error(`exited (${exited}) before answering:\n${output()}`)
    try {
      const response = await fetch(`${url}/__test/health`, { signal: AbortSignal.timeout(2_000) })
      if (response.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer within 30 s:\n${output()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * Bundle the test app for `runtime` and start it on a loopback port.
 *
 * @param runtime `bun`, `deno` or `workerd`
 * @param options environment, port, workerd compatibility settings
 * @returns the running app
 * @throws when the binary is missing, the bundle fails, or the app does not answer
 */
export async function startApp(runtime: Runtime, options: StartOptions): Promise<RunningApp> {
  const { path, version } = binary(runtime)
  const dir = mkdtempSync(join(tmpdir(), `oidc-session-${runtime}-`))
  const port = options.port ?? (await freePort())
  const url = `http://127.0.0.1:${port}`
  const env: RuntimeEnv = { ...options.env, APP_URL: url }
  const { file } = await bundleApp(runtime, dir)
  // The child gets the app's variables and what the runtime itself needs, nothing else.
  const base: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, TMPDIR: dir }
  const appEnv = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  )

  let command: string[]
  let childEnv: Record<string, string>
  switch (runtime) {
    case 'bun':
      command = [path, 'run', '--no-install', file]
      childEnv = { ...base, ...appEnv, PORT: String(port), BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' }
      break
    case 'deno':
      command = [
        path,
        'run',
        '--no-prompt',
        '--no-config',
        '--no-lock',
        '--allow-net=127.0.0.1',
        `--allow-env=PORT,${ENV_NAMES.join(',')}`,
        file,
      ]
      childEnv = {
        ...base,
        ...appEnv,
        PORT: String(port),
        DENO_DIR: join(dir, 'deno'),
        DENO_NO_UPDATE_CHECK: '1',
      }
      break
    case 'workerd':
      if (options.edge === true) await bundleEdge(dir)
      writeFileSync(
        join(dir, 'config.capnp'),
        workerdConfig({
          port,
          env,
          compatibilityDate: options.compatibilityDate ?? WORKERD_COMPATIBILITY_DATE,
          compatibilityFlags: options.compatibilityFlags ?? [],
          outboundPort: options.outboundPort,
          edge: options.edge === true,
        }),
      )
      command = [path, 'serve', join(dir, 'config.capnp'), '--verbose']
      childEnv = base
      break
  }

  const started = Date.now()
  const [bin = '', ...args] = command
  const child = spawn(bin, args, { cwd: dir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (log += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk))
  const output = () => log
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exit
      clearTimeout(killer)
    }
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    await ready(url, child, output)
  } catch (error) {
    await stop()
    throw new Error(`${runtime} (${version}) did not start: ${(error as Error).message}`)
  }
  return { runtime, url, version, output, startupMs: Date.now() - started, stop }
}
