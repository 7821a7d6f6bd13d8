/**
 * The Next.js examples under `next start`, for the end-to-end tests: built once (the build is
 * skipped while its inputs are unchanged, see `scripts/next-app.ts`), registered at the real
 * provider as their own client, with the test-only clock enabled.
 */
import type { ChildProcess } from 'node:child_process'
import { buildNextApp, startNextApp, stopNextApp } from '../../scripts/next-app.js'
import { clientMetadata, freePort, type TestProvider } from '../fixtures/provider.js'

/**
 * Provider options of these tests: the app's clock moves 400 s (and 800 s) ahead to expire the
 * 300 s access tokens, while id_tokens stay valid on that clock (an expired one is not sent as
 * `id_token_hint`).
 */
export const PROVIDER_OPTIONS = { accessTokenTtl: 300, idTokenTtl: 3600 } as const

/** Time allowed for a `next build` (two cores shared with other test files). */
export const BUILD_TIMEOUT = 600_000

/** One running example. */
export interface NextExample {
  url: string
  clientId: string
  clientSecret: string
  /** `SESSION_SECRET` of the app (to open its cookies in tests). */
  secret: string
  /** Move the app's clock (every runtime of it) `seconds` ahead of real time. */
  setClock(seconds: number): Promise<void>
  /** What the server printed (for failure messages). */
  output(): string
  close(): Promise<void>
}

let counter = 0

/**
 * Build `name` when needed (call from `beforeAll` with {@link BUILD_TIMEOUT}), with Turbopack, or
 * with webpack when `NEXT_EXAMPLE_BUILDER=webpack` (to run the same tests on a webpack build).
 */
export async function buildExample(name: 'next' | 'next-edge'): Promise<void> {
  await buildNextApp(name, { webpack: process.env.NEXT_EXAMPLE_BUILDER === 'webpack' })
}

/** Start a built example against `provider`, with the store and Redis given. */
export async function startExample(
  provider: TestProvider,
  name: 'next' | 'next-edge',
  options: { store?: 'cookie' | 'redis'; redisUrl?: string; secret?: string } = {},
): Promise<NextExample> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const clientId = `${name}-example-${process.pid}-${++counter}`
  const clientSecret = `${clientId}-secret-${clientId}-secret-0123456789`
  const secret = options.secret ?? `${name}-session-secret-${name}-session-secret-0123456789`
  await provider.registerClient(
    clientMetadata(url, { client_id: clientId, client_secret: clientSecret }),
  )
  const child: ChildProcess = startNextApp(
    name,
    port,
    {
      PATH: process.env.PATH,
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: clientId,
      OIDC_CLIENT_SECRET: clientSecret,
      APP_URL: url,
      SESSION_SECRET: secret,
      SESSION_STORE: options.store ?? 'cookie',
      ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
      EXAMPLE_TEST_CLOCK: '1',
    },
    'pipe',
  )
  // `next start` runs in its own process group: never leave it behind, even if this worker dies.
  const orphanGuard = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  process.once('exit', orphanGuard)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const example: NextExample = {
    url,
    clientId,
    clientSecret,
    secret,
    async setClock(seconds) {
      const response = await fetch(`${url}/test-clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ seconds }),
      })
      if (response.status !== 200) throw new Error(`setClock: ${response.status}`)
    },
    output: () => output,
    close: async () => {
      process.off('exit', orphanGuard)
      await stopNextApp(child)
    },
  }
  // Ready when GET / answers (a 302 to /login without a session).
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited:\n${output}`)
    try {
      await fetch(`${url}/`, { redirect: 'manual' })
      break
    } catch {
      if (Date.now() > deadline) {
        await example.close()
        throw new Error(`next start did not answer within 60 s:\n${output}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  return example
}
