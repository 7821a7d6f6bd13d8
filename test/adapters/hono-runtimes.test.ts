/**
 * oidc-session/hono on Web runtimes: the same adapter and core, served by Bun (`Bun.serve`) and
 * Deno (`Deno.serve`) in child processes, log a user in through the real provider, serve a
 * protected route and log out.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent } from '../fixtures/agent.js'
import { clientMetadata, freePort, startProvider, type TestProvider } from '../fixtures/provider.js'

const root = join(import.meta.dirname, '..', '..')
const bin = (name: string) => join(root, 'node_modules', '.bin', name)
const RUNTIMES: Record<string, string[]> = {
  bun: [bin('bun'), 'test/adapters/runtimes/bun.ts'],
  deno: [
    bin('deno'),
    'run',
    '--no-prompt',
    '--sloppy-imports', // the sources import './x.js' for './x.ts', as TypeScript's bundler resolution does
    '--allow-net',
    '--allow-env',
    '--allow-read',
    '--node-modules-dir=manual',
    'test/adapters/runtimes/deno.ts',
  ],
}

let provider: TestProvider
const children: ChildProcess[] = []

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
})

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  await provider?.close()
})

/** Start `runtime` serving the Hono app on a free port; resolves once it prints `ready`. */
async function launch(runtime: string, clientId: string): Promise<string> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const secret = `${clientId}-secret-${clientId}-secret-0123456789`
  await provider.registerClient(clientMetadata(url, { client_id: clientId, client_secret: secret }))
  const [command, ...args] = RUNTIMES[runtime]!
  const child = spawn(command!, args, {
    cwd: root,
    env: {
      ...process.env,
      DENO_NO_UPDATE_CHECK: '1',
      NO_COLOR: '1',
      PORT: String(port),
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: clientId,
      OIDC_CLIENT_SECRET: secret,
      APP_URL: url,
      SESSION_SECRET: 'runtime-secret-runtime-secret-runtime-0123456',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes(`ready ${port}`)) resolve()
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('exit', (code) => reject(new Error(`${runtime} exited (${code}):\n${output}`)))
  })
  return url
}

describe.each(Object.keys(RUNTIMES))('the Hono adapter on %s', (runtime) => {
  it('logs in through the provider, serves a protected route and logs out', async () => {
    const url = await launch(runtime, `hono-on-${runtime}`)
    const anonymous = await fetch(`${url}/api/me`, { headers: { accept: 'application/json' } })
    expect(anonymous.status).toBe(401)
    const agent = new Agent()
    const { response } = await agent.login(`${url}/login?returnTo=/api/me`, {
      username: `${runtime}-user`,
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ sub: `${runtime}-user` })
    const logout = await agent.fetch(`${url}/logout`, { method: 'POST', headers: { origin: url } })
    expect(logout.status).toBe(302)
    expect(new URL(logout.headers.get('location')!).searchParams.get('id_token_hint')).toBeTruthy()
    const after = await agent.fetch(`${url}/api/me`, { headers: { accept: 'application/json' } })
    expect(after.status).toBe(401)
  })
})
