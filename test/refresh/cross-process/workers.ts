/**
 * Spawn and drive the application processes of `worker.ts` (for the cross-process tests and the
 * `refresh-cluster` bench).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freePort, type TestProvider } from '../../fixtures/provider.js'

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))

/** A running worker process. */
export interface Worker {
  name: string
  url: string
  child: ChildProcess
  /** Resolves when the worker prints `line` on stdout. */
  waitFor(line: string, timeoutMs?: number): Promise<void>
  /** Shift the worker's clock (seconds). */
  setClock(offsetSeconds: number): Promise<void>
  /** Stop it (SIGTERM, or the signal given) and wait for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** What every worker of one group shares. */
export interface WorkerGroupConfig {
  provider: TestProvider
  redisUrl: string
  /** Origin of the login callback (the first worker's URL); chosen by {@link workerPorts}. */
  appUrl: string
  clientId: string
  clientSecret: string
  secret: string
}

/** A free port for the first worker, and the app URL derived from it. */
export async function workerPorts(): Promise<{ port: number; appUrl: string }> {
  const port = await freePort()
  return { port, appUrl: `http://127.0.0.1:${port}` }
}

/** Register the client the workers use (callbacks for the cookie and the Redis routes). */
export async function registerWorkerClient(config: WorkerGroupConfig): Promise<void> {
  await config.provider.registerClient({
    client_id: config.clientId,
    client_secret: config.clientSecret,
    redirect_uris: [`${config.appUrl}/c/callback`, `${config.appUrl}/r/callback`],
    post_logout_redirect_uris: [`${config.appUrl}/`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })
}

/** Start one worker; resolves once it listens. */
export async function startWorker(
  config: WorkerGroupConfig,
  name: string,
  options: { port?: number; env?: Record<string, string> } = {},
): Promise<Worker> {
  const port = options.port ?? (await freePort())
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: {
      ...process.env,
      PORT: String(port),
      APP_URL: config.appUrl,
      OIDC_ISSUER: config.provider.issuer,
      OIDC_CLIENT_ID: config.clientId,
      OIDC_CLIENT_SECRET: config.clientSecret,
      SESSION_SECRET: config.secret,
      REDIS_URL: config.redisUrl,
      WORKER: name,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const watchers = new Set<() => void>()
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    for (const check of watchers) check()
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk.slice(0, 4000)
    if (process.env.DEBUG_WORKER) process.stdout.write(`[${name}] ${chunk}`)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const waitFor = (line: string, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        watchers.delete(check)
        reject(new Error(`worker ${name}: no "${line}" after ${timeoutMs} ms\n${stderr}`))
      }, timeoutMs)
      const check = () => {
        if (stdout.split('\n').includes(line)) {
          clearTimeout(timer)
          watchers.delete(check)
          resolve()
        }
      }
      watchers.add(check)
      check()
      void exited.then(() => {
        if (!watchers.has(check)) return
        clearTimeout(timer)
        watchers.delete(check)
        reject(new Error(`worker ${name} exited before "${line}"\n${stderr}`))
      })
    })

  const url = `http://127.0.0.1:${port}`
  await waitFor(`READY ${port}`)
  return {
    name,
    url,
    child,
    waitFor,
    async setClock(offsetSeconds) {
      const response = await fetch(`${url}/__clock?offset=${offsetSeconds}`, { method: 'POST' })
      if (!response.ok) throw new Error(`worker ${name}: clock answered ${response.status}`)
      await response.arrayBuffer()
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
}
