/**
 * `npm run example -- gateway` as a user starts it (built package, `API_RESOURCE` and `DPOP=1`),
 * once: ready when `GET /` answers, then the contract's first steps and a forwarded call checked
 * by the upstream.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent } from '../fixtures/agent.js'
import { NAVIGATION_HEADERS as NAV, rawRequest } from '../fixtures/navigate.js'
import { clientMetadata, freePort, type TestProvider } from '../fixtures/provider.js'
import { API, startBedProvider, startUpstream, type Upstream } from './support.js'

const JSON_API = { accept: 'application/json' }

let provider: TestProvider
let upstream: Upstream
let child: ChildProcess | undefined
let appUrl: string
let output = ''

async function ready(url: string, deadline: number): Promise<void> {
  for (;;) {
    if (child?.exitCode !== null && child?.exitCode !== undefined)
      throw new Error(`the example exited (${child.exitCode}):\n${output}`)
    try {
      await fetch(url, { redirect: 'manual' })
      return
    } catch {
      if (Date.now() > deadline) throw new Error(`the example did not answer:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

beforeAll(async () => {
  provider = await startBedProvider()
  upstream = await startUpstream(provider, { audience: API })
  const port = await freePort()
  appUrl = `http://127.0.0.1:${port}`
  const secret = 'spawned-gateway-secret-spawned-gateway-0123'
  await provider.registerClient(
    clientMetadata(appUrl, { client_id: 'spawned-gateway', client_secret: secret }),
  )
  child = spawn('npm', ['run', 'example', '--', 'gateway'], {
    cwd: new URL('../../', import.meta.url).pathname,
    env: {
      ...process.env,
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: 'spawned-gateway',
      OIDC_CLIENT_SECRET: secret,
      APP_URL: appUrl,
      PORT: String(port),
      SESSION_SECRET: 'spawned-session-secret-spawned-session-0123',
      SESSION_STORE: 'cookie',
      UPSTREAM_URL: upstream.url,
      API_RESOURCE: API,
      DPOP: '1',
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  // The script builds the package first when dist/ is older than src/.
  await ready(`${appUrl}/`, Date.now() + 240_000)
}, 300_000)

afterAll(async () => {
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve))
    process.kill(-child.pid, 'SIGTERM')
    await exited
  }
  await upstream?.close()
  await provider?.close()
})

describe('npm run example -- gateway', () => {
  it('answers the contract and forwards with a DPoP-bound token for API_RESOURCE', async () => {
    const page = await rawRequest(`${appUrl}/`, { headers: NAV })
    expect(page.status).toBe(302)
    expect(page.headers.location).toBe(`${appUrl}/login?returnTo=%2F`)
    const api = await fetch(`${appUrl}/api/me`, { headers: JSON_API })
    expect(api.status).toBe(401)
    expect((await fetch(`${appUrl}/oauth2/auth`, { redirect: 'manual' })).status).toBe(401)

    const agent = new Agent()
    const { response } = await agent.login(`${appUrl}/login?returnTo=/hello`, {
      username: 'alice',
    })
    expect(response.status).toBe(200)
    const seen = upstream.seen.at(-1)!
    expect(seen.url).toBe('/hello')
    expect(seen.token).toMatchObject({ active: true, aud: API, sub: 'alice' })
    expect(seen.proof).toMatchObject({ valid: true })
    const check = await agent.fetch(`${appUrl}/oauth2/auth`)
    expect(check.status).toBe(202)
    expect(check.headers.get('x-auth-request-email')).toBe('alice@example.test')
  })
})
