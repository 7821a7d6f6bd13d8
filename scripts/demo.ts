/**
 * `npm run demo`: start a real OpenID Provider (oidc-provider, in-process, loopback) and an example
 * (`npm run example -- <stack>`, a child process configured by the examples-contract environment;
 * `--stack express` by default, or `node`, `express4`, `koa`, `fastify`, `hono`…), then drive a
 * scripted user through login → /api/me → /api/userinfo → logout and print what happened.
 * `npm run demo -- --serve` leaves both running for a browser.
 *
 * Nothing secret is printed: URLs are shown without their query values.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Agent } from '../test/fixtures/agent.js'
import { NAVIGATION_HEADERS, rawRequest } from '../test/fixtures/navigate.js'
import { clientMetadata, freePort, startProvider } from '../test/fixtures/provider.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const serve = process.argv.includes('--serve')
const stackFlag = process.argv.indexOf('--stack')
const stack = stackFlag >= 0 ? (process.argv[stackFlag + 1] ?? '') : 'express'
if (
  !/^[a-z0-9-]+$/.test(stack) ||
  stack === 'shared' ||
  !existsSync(join(root, 'examples', stack))
) {
  console.error(`usage: npm run demo -- [--stack <name>] [--serve]  (no example "${stack}")`)
  process.exit(2)
}

const show = (url: string) => {
  const u = new URL(url)
  const names = [...new Set(u.searchParams.keys())]
  return `${u.port === appPort ? 'app' : 'provider'} ${u.pathname}${names.length ? `?${names.join('&')}` : ''}`
}
const line = (step: string, detail: string) => console.log(`  ${step.padEnd(34)} ${detail}`)

const provider = await startProvider({ accessTokenTtl: 120, idTokenTtl: 120 })
const appPortNumber = await freePort()
const appPort = String(appPortNumber)
const appUrl = `http://127.0.0.1:${appPort}`
const client = { id: 'demo-app', secret: randomBytes(24).toString('base64url') }
await provider.registerClient(
  clientMetadata(appUrl, { client_id: client.id, client_secret: client.secret }),
)

const env = {
  ...process.env,
  OIDC_ISSUER: provider.issuer,
  OIDC_CLIENT_ID: client.id,
  OIDC_CLIENT_SECRET: client.secret,
  APP_URL: appUrl,
  PORT: appPort,
  SESSION_SECRET: randomBytes(32).toString('base64url'),
  SESSION_STORE: 'cookie',
}
const app: ChildProcess = spawn(
  process.execPath,
  ['--import', 'tsx', join(root, 'scripts', 'example.ts'), stack],
  {
    cwd: root,
    env,
    stdio: serve ? 'inherit' : ['ignore', 'ignore', 'inherit'],
  },
)
let stopping = false
const stop = async (code: number) => {
  stopping = true
  app.kill('SIGTERM')
  await provider.close()
  process.exit(code)
}
app.on('exit', (code) => {
  if (!stopping) {
    console.error(`the example exited early (code ${code})`)
    void stop(1)
  }
})
process.on('SIGINT', () => void stop(0))

// Wait for the example to listen (it may build the library first).
const deadline = Date.now() + 120_000
for (;;) {
  try {
    await fetch(`${appUrl}/api/me`)
    break
  } catch {
    if (Date.now() > deadline) {
      console.error('the example did not start')
      await stop(1)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

console.log(`\noidc-session demo — provider ${provider.issuer}, ${stack} example ${appUrl}\n`)
if (serve) {
  console.log(`Open ${appUrl}/ in a browser and log in with any user name. Ctrl-C stops both.\n`)
} else {
  try {
    await script()
    console.log('\n  ✓ demo complete\n')
    await stop(0)
  } catch (error) {
    console.error(`\n  ✗ demo failed: ${error instanceof Error ? error.message : String(error)}\n`)
    await stop(1)
  }
}

async function script() {
  const user = new Agent()
  const api = { accept: 'application/json' }
  const expect = (ok: boolean, what: string) => {
    if (!ok) throw new Error(what)
  }

  let res = await user.fetch(`${appUrl}/api/me`, { headers: api })
  line('GET /api/me (no session, fetch)', `${res.status} ${await res.text()}`)
  expect(res.status === 401, '/api/me without a session must answer 401')

  // A browser navigation (Node's fetch would send Sec-Fetch-Mode: cors, so use a raw request).
  const nav = await rawRequest(`${appUrl}/`, { headers: NAVIGATION_HEADERS })
  line(
    'GET / (no session, navigation)',
    `${nav.status} → ${show(new URL(String(nav.headers.location ?? ''), appUrl).href)}`,
  )
  expect(nav.status === 302, '/ without a session must redirect to login')

  const login = await user.login(`${appUrl}/login?returnTo=/`, { username: 'alice' })
  line('log in as "alice" at the provider', `${login.response.status} at ${show(login.url)}`)
  expect(
    login.response.status === 200 && new URL(login.url).pathname === '/',
    'login must land on /',
  )

  res = await user.fetch(`${appUrl}/api/me`, { headers: api })
  const me = (await res.json()) as { sub: string; sid: string | null; expiresAt: number }
  line(
    'GET /api/me',
    `${res.status} sub=${me.sub} sid=${me.sid ? 'yes' : 'no'} expiresAt=${new Date(me.expiresAt * 1000).toISOString()}`,
  )
  expect(res.status === 200 && me.sub === 'alice', '/api/me must answer the user')

  res = await user.fetch(`${appUrl}/api/userinfo`, { headers: api })
  const info = (await res.json()) as Record<string, unknown>
  line('GET /api/userinfo', `${res.status} claims: ${Object.keys(info).join(', ')}`)
  expect(res.status === 200 && info.sub === 'alice', 'userinfo must answer the user')

  const cookieBytes = user.jar.header(appUrl).length
  line('session cookie', `${cookieBytes} bytes in the Cookie header`)

  res = await user.fetch(`${appUrl}/logout`, { method: 'POST', headers: { origin: appUrl } })
  const endSession = res.headers.get('location') ?? ''
  line('POST /logout', `${res.status} → ${show(endSession)}`)
  expect(
    res.status === 302 && new URL(endSession).searchParams.has('id_token_hint'),
    'logout must redirect with id_token_hint',
  )
  const done = await user.logoutAtProvider(endSession)
  line(
    'provider end-session',
    `${done.response.status} at ${show(done.url)} (${done.hops.length} hops)`,
  )

  res = await user.fetch(`${appUrl}/api/me`, { headers: api })
  line('GET /api/me (after logout)', `${res.status}`)
  expect(res.status === 401, '/api/me after logout must answer 401')
  const c = provider.counters
  line(
    'provider saw',
    `token calls ${JSON.stringify(c.token)}, userinfo ${c.userinfo}, revocation ${c.revocation}, end-session ${c.endSession}`,
  )
}
