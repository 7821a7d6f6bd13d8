/**
 * Back-channel logout end to end: the real provider POSTs a logout token to the Express example's
 * `/backchannel-logout` when the user signs out at the provider, and the user's next request is
 * unauthenticated — cookie store (revocation list) and memory store (deletion).
 */
import type { Server } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  createOidcSession,
  memoryStore,
  type LogoutConfig,
  type MemoryStore,
  type OidcSession,
  type SessionStore,
} from 'oidc-session'
import type { FormRequest as BackchannelRequest } from 'oidc-session'
import { createApp, type ExampleEnv } from '../../examples/express/app.js'
import { Agent } from '../fixtures/agent.js'
import { clientMetadata, freePort, startProvider, type TestProvider } from '../fixtures/provider.js'

const SECRET = 'backchannel-secret-backchannel-secret-0123'
const API = { accept: 'application/json' }

let provider: TestProvider
const servers: Server[] = []

interface App {
  url: string
  auth: OidcSession
  clientId: string
  secret: string
  /** Bodies the example's receiver got (the logout tokens, intercepted). */
  received: BackchannelRequest[]
}

let counter = 0
async function startApp(store?: SessionStore, logout?: LogoutConfig): Promise<App> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const clientId = `bc-app-${++counter}`
  const secret = `${clientId}-secret-${clientId}-secret-0123456789`
  await provider.registerClient(clientMetadata(url, { client_id: clientId, client_secret: secret }))
  const env: ExampleEnv = {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: clientId,
    OIDC_CLIENT_SECRET: secret,
    APP_URL: url,
    PORT: String(port),
    SESSION_SECRET: SECRET,
  }
  const auth = createOidcSession({
    issuer: provider.issuer,
    client: { id: clientId, secret },
    redirectUri: `${url}/callback`,
    secrets: [SECRET],
    ...(store ? { store } : {}),
    ...(logout ? { logout } : {}),
  })
  // Record what reaches the receiver: the example serves the routes through auth.handler().
  const received: BackchannelRequest[] = []
  const spy: OidcSession = {
    ...auth,
    handler: (request) => {
      if (new URL(request.url, url).pathname === auth.routes.backchannelLogout)
        received.push(request instanceof Request ? request.clone() : request) // the core reads the body
      return auth.handler(request)
    },
  }
  const server = await new Promise<Server>((resolve) => {
    const s = createApp(env, spy).listen(port, '127.0.0.1', () => resolve(s))
  })
  servers.push(server)
  return { url, auth, clientId, secret, received }
}

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
})

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  await provider?.close()
})

beforeEach(() => provider.counters.reset())

async function signIn(app: App, username: string): Promise<Agent> {
  const agent = new Agent()
  const { response } = await agent.login(`${app.url}/login?returnTo=/`, { username })
  expect(response.status).toBe(200)
  expect((await agent.fetch(`${app.url}/api/me`, { headers: API })).status).toBe(200)
  return agent
}

/** Sign out at the provider only (the app's cookie stays): the provider calls the app back. */
async function signOutAtProvider(agent: Agent, app: App): Promise<void> {
  const end = new URL(`${provider.issuer}/session/end`)
  end.searchParams.set('client_id', app.clientId)
  await agent.logoutAtProvider(end.href)
}

describe('back-channel logout from the real provider', () => {
  it('cookie store: the delivery reaches /backchannel-logout and the next request is unauthenticated', async () => {
    const app = await startApp()
    const agent = await signIn(app, 'alice')
    const other = await signIn(app, 'bob') // another user, another provider session
    const sessionCookie = () => agent.jar.all().find((c) => c.name === 'oidc_session')?.value
    const cookieBefore = sessionCookie()
    expect(cookieBefore).toBeTruthy()

    await signOutAtProvider(agent, app)
    expect(provider.counters.backchannelDelivered).toBe(1)
    expect(provider.counters.backchannelFailed).toBe(0)
    expect(app.received).toHaveLength(1)

    // The cookie is still in the browser, but the session is over.
    expect(sessionCookie()).toBe(cookieBefore)
    const me = await agent.fetch(`${app.url}/api/me`, { headers: API })
    expect(me.status).toBe(401)
    expect(await me.json()).toMatchObject({ error_description: 'no valid session (revoked)' })
    expect(agent.jar.all().filter((c) => c.name.startsWith('oidc_session'))).toEqual([])
    // The other user's session is untouched.
    expect((await other.fetch(`${app.url}/api/me`, { headers: API })).status).toBe(200)
  })

  it('memory store: the matching session is deleted', async () => {
    const store: MemoryStore = memoryStore()
    const app = await startApp(store)
    const agent = await signIn(app, 'carol')
    await signIn(app, 'dave')
    expect(store.size).toBe(2)

    await signOutAtProvider(agent, app)
    expect(provider.counters.backchannelDelivered).toBe(1)
    expect(store.size).toBe(1)
    const me = await agent.fetch(`${app.url}/api/me`, { headers: API })
    expect(me.status).toBe(401)
    expect(await me.json()).toMatchObject({ error_description: 'no valid session (revoked)' })
  })

  it('a real logout token delivered once is refused when replayed (jti)', async () => {
    const app = await startApp()
    const agent = await signIn(app, 'erin')
    await signOutAtProvider(agent, app)
    expect(app.received).toHaveLength(1)
    const received = app.received[0]!
    const body = received instanceof Request ? await received.text() : received.body
    const token = new URLSearchParams(body as string).get('logout_token')
    expect(token).toBeTruthy()
    const replay = await fetch(`${app.url}/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token! }),
    })
    expect(replay.status).toBe(400)
    expect(replay.headers.get('cache-control')).toBe('no-store')
    expect(await replay.json()).toEqual({
      error: 'invalid_request',
      error_description: 'invalid logout_token: "jti" was already used',
    })
  })

  it("memory store with backchannelRevokeRefreshTokens: the deleted session's refresh token is revoked", async () => {
    const refreshTokenOf = async (app: App, agent: Agent) =>
      (
        await app.auth.authenticate({
          url: '/api/me',
          headers: { cookie: agent.jar.header(app.url) },
        })
      ).session!.tokens.refreshToken!
    const refreshAt = async (app: App, refreshToken: string) => {
      const response = await fetch(`${provider.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`${app.clientId}:${app.secret}`)}`,
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      })
      return response.status
    }

    // Without the option, the provider's own logout leaves this (offline) grant alive.
    const keeping = await startApp(memoryStore())
    const kept = await signIn(keeping, 'frank')
    const keptToken = await refreshTokenOf(keeping, kept)
    await signOutAtProvider(kept, keeping)
    expect(provider.counters.backchannelDelivered).toBe(1)
    expect(await refreshAt(keeping, keptToken)).toBe(200)

    provider.counters.reset()
    const revoking = await startApp(memoryStore(), { backchannelRevokeRefreshTokens: true })
    const agent = await signIn(revoking, 'grace')
    const token = await refreshTokenOf(revoking, agent)
    await signOutAtProvider(agent, revoking)
    expect(provider.counters.backchannelDelivered).toBe(1)
    expect(provider.counters.revocation).toBe(1)
    expect(await refreshAt(revoking, token)).toBe(400)
  })
})
