/**
 * The Express example against a real OpenID Provider: login → /api/me → /api/userinfo → logout,
 * refresh when due, and every bad-cookie path answering clearly (never a 500).
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createOidcSession, type OidcSession } from 'oidc-session'
import { createApp, type ExampleEnv } from '../../examples/express/app.js'
import { Agent } from '../fixtures/agent.js'
import { NAVIGATION_HEADERS as NAV, rawRequest } from '../fixtures/navigate.js'
import { clientMetadata, freePort, startProvider, type TestProvider } from '../fixtures/provider.js'

const SECRET = 'integration-secret-integration-secret-0123'
const OTHER_SECRET = 'another-secret-another-secret-another-0123'
const API = { accept: 'application/json' }

let provider: TestProvider
let appUrl: string
let server: Server
let env: ExampleEnv
let clock = 0 // seconds added to the app's clock

function authFor(secret = SECRET): OidcSession {
  return createOidcSession({
    issuer: env.OIDC_ISSUER!,
    client: { id: env.OIDC_CLIENT_ID!, secret: env.OIDC_CLIENT_SECRET! },
    redirectUri: `${appUrl}/callback`,
    postLogoutRedirectUri: `${appUrl}/`,
    secrets: [secret],
    now: () => Date.now() + clock * 1000,
  })
}

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
  const port = await freePort()
  appUrl = `http://127.0.0.1:${port}`
  env = {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: 'express-example',
    OIDC_CLIENT_SECRET: 'express-example-secret-express-example-secret',
    APP_URL: appUrl,
    PORT: String(port),
    SESSION_SECRET: SECRET,
    SESSION_STORE: 'cookie',
  }
  await provider.registerClient(
    clientMetadata(appUrl, {
      client_id: env.OIDC_CLIENT_ID!,
      client_secret: env.OIDC_CLIENT_SECRET!,
    }),
  )
  const app = createApp(env, authFor())
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s))
  })
  expect((server.address() as AddressInfo).port).toBe(port)
})

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await provider?.close()
})

beforeEach(() => {
  clock = 0
  provider.counters.reset()
})

async function loggedIn(username = 'alice'): Promise<Agent> {
  const agent = new Agent()
  const { response, url } = await agent.login(`${appUrl}/login?returnTo=/`, { username })
  expect(response.status).toBe(200)
  expect(new URL(url).pathname).toBe('/')
  return agent
}

describe('express example against the real provider', () => {
  it('logs in, reads /api/me, calls /api/userinfo with the session access token, logs out', async () => {
    const agent = await loggedIn('alice')
    const sessionCookies = agent.jar.all().filter((c) => c.name.startsWith('oidc_session'))
    expect(sessionCookies.map((c) => c.name)).toEqual(['oidc_session'])
    expect(agent.jar.all().some((c) => c.name.includes('_tx.'))).toBe(false) // transaction cookie used up

    const page = await rawRequest(`${appUrl}/`, {
      headers: { ...NAV, cookie: agent.jar.header(appUrl) },
    })
    expect(page.status).toBe(200)
    expect(page.body).toContain('Signed in as alice')

    const me = await agent.fetch(`${appUrl}/api/me`, { headers: API })
    expect(me.status).toBe(200)
    const body = (await me.json()) as { sub: string; sid: string | null; expiresAt: number }
    expect(body.sub).toBe('alice')
    expect(typeof body.sid).toBe('string')
    expect(body.expiresAt).toBeGreaterThan(Date.now() / 1000)

    const info = await agent.fetch(`${appUrl}/api/userinfo`, { headers: API })
    expect(info.status).toBe(200)
    expect(((await info.json()) as { sub: string }).sub).toBe('alice')
    expect(provider.counters.userinfo).toBe(1)

    const logout = await agent.fetch(`${appUrl}/logout`, {
      method: 'POST',
      headers: { origin: appUrl },
    })
    expect(logout.status).toBe(302)
    const endSession = new URL(logout.headers.get('location')!)
    expect(endSession.href.startsWith(provider.issuer)).toBe(true)
    expect(endSession.searchParams.get('id_token_hint')).toBeTruthy()
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${appUrl}/`)
    expect(endSession.searchParams.get('client_id')).toBe(env.OIDC_CLIENT_ID)
    expect(provider.counters.revocation).toBe(1)
    expect(agent.jar.all().filter((c) => c.name.startsWith('oidc_session'))).toEqual([])

    const done = await agent.logoutAtProvider(endSession.href)
    expect(new URL(done.url).origin).toBe(appUrl)
    expect((await agent.fetch(`${appUrl}/api/me`, { headers: API })).status).toBe(401)
  })

  it('sends navigations to login and API calls a 401 JSON when there is no session', async () => {
    const agent = new Agent()
    const page = await rawRequest(`${appUrl}/`, { headers: NAV })
    expect(page.status).toBe(302)
    expect(page.headers.location).toBe(`${appUrl}/login?returnTo=%2F`)
    expect(page.headers['set-cookie']).toBeUndefined()
    const api = await agent.fetch(`${appUrl}/api/me`, { headers: API })
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({
      error: 'unauthorized',
      login_url: '/login?returnTo=%2Fapi%2Fme',
    })
    expect(api.headers.getSetCookie()).toEqual([]) // a 401 never sets cookies
  })

  it('refreshes an expired access token once and keeps the session', async () => {
    const agent = await loggedIn('bob')
    clock = 400 // the app's clock is past the access token's expiry
    const before = agent.jar.header(appUrl)
    const me = await agent.fetch(`${appUrl}/api/me`, { headers: API })
    expect(me.status).toBe(200)
    expect(provider.counters.token.refresh_token).toBe(1)
    expect(agent.jar.header(appUrl)).not.toBe(before) // the refreshed session was written back
    const again = await agent.fetch(`${appUrl}/api/userinfo`, { headers: API })
    expect(again.status).toBe(200) // the new access token works at the provider
    expect(provider.counters.token.refresh_token).toBe(1)
  })

  it('ends the session when the provider rejects the refresh token (invalid_grant)', async () => {
    const agent = await loggedIn('carol')
    const cookie = agent.jar.header(appUrl)
    const loaded = await authFor().authenticate({ url: '/', headers: { cookie } })
    const refreshToken = loaded.session!.tokens.refreshToken!
    // Revoke it at the provider (RFC 7009), as an administrator ending the grant would.
    const revoked = await fetch(`${provider.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${env.OIDC_CLIENT_ID}:${env.OIDC_CLIENT_SECRET}`)}`,
      },
      body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' }),
    })
    expect(revoked.status).toBe(200)
    clock = 400
    const me = await agent.fetch(`${appUrl}/api/me`, { headers: API })
    expect(me.status).toBe(401)
    expect(await me.json()).toMatchObject({
      error_description: 'no valid session (refresh-rejected)',
    })
    expect(provider.counters.tokenErrors.invalid_grant).toBe(1)
    expect(agent.jar.all().filter((c) => c.name.startsWith('oidc_session'))).toEqual([]) // cookies cleared
  })
})

describe('bad cookies never cause a 500', () => {
  it('a tampered session cookie gives 401 to fetch and 302 to a navigation', async () => {
    const agent = await loggedIn('dave')
    const value = agent.jar.all().find((c) => c.name === 'oidc_session')!.value
    const tampered = `oidc_session=${value.slice(0, 40)}${value[40] === 'A' ? 'B' : 'A'}${value.slice(41)}`
    const api = await fetch(`${appUrl}/api/me`, { headers: { ...API, cookie: tampered } })
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({
      error: 'unauthorized',
      error_description: 'no valid session (tampered)',
    })
    const nav = await rawRequest(`${appUrl}/`, { headers: { ...NAV, cookie: tampered } })
    expect(nav.status).toBe(302)
    expect(nav.headers.location).toBe(`${appUrl}/login?returnTo=%2F`)
  })

  it('a foreign session cookie (sealed under another secret) is refused', async () => {
    const agent = await loggedIn('erin')
    const foreign = authFor(OTHER_SECRET)
    const cookie = agent.jar.header(appUrl)
    const result = await foreign.authenticate({ url: '/api/me', headers: { cookie } })
    expect(result).toMatchObject({ session: null, reason: 'tampered' })
    const garbage = await fetch(`${appUrl}/api/me`, {
      headers: { ...API, cookie: 'oidc_session=%%%; oidc_session.0=x' },
    })
    expect(garbage.status).toBe(401)
  })

  it('/callback without a transaction, with a tampered one, or with a provider error gives 400', async () => {
    const none = await fetch(`${appUrl}/callback?code=abc&state=xyz`, { headers: API })
    expect(none.status).toBe(400)
    expect(await none.json()).toMatchObject({
      error: 'login_failed',
      code: 'ERR_CALLBACK_NO_TRANSACTION',
    })

    const agent = new Agent()
    const start = await agent.fetch(`${appUrl}/login?returnTo=/`)
    expect(start.status).toBe(302)
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!
    const tx = agent.jar.all().find((c) => c.name.includes('_tx.'))!
    const tampered = `${tx.name}=${tx.value.slice(0, -3)}AAA`
    const bad = await rawRequest(`${appUrl}/callback?code=abc&state=${state}`, {
      headers: { ...NAV, cookie: tampered },
    })
    expect(bad.status).toBe(400)
    expect(bad.body).toContain('Login failed')

    const iss = encodeURIComponent(provider.issuer) // RFC 9207: the provider advertises `iss` in responses
    const denied = await agent.fetch(
      `${appUrl}/callback?error=access_denied&state=${state}&iss=${iss}`,
      { headers: API },
    )
    expect(denied.status).toBe(400)
    expect(await denied.json()).toMatchObject({ code: 'ERR_CALLBACK_PROVIDER_ERROR' })

    const wrongState = await fetch(`${appUrl}/callback?code=abc&state=${state}x`, {
      headers: { ...API, cookie: agent.jar.header(appUrl) },
    })
    expect(wrongState.status).toBe(400)
  })

  it('an open redirect in returnTo is neutralised', async () => {
    const agent = new Agent()
    const { url } = await agent.login(`${appUrl}/login?returnTo=//evil.example/x`, {
      username: 'frank',
    })
    expect(new URL(url).origin).toBe(appUrl)
    expect(new URL(url).pathname).toBe('/')
  })

  it('a cross-site logout is refused and the session survives', async () => {
    const agent = await loggedIn('grace')
    const res = await rawRequest(`${appUrl}/logout`, {
      headers: { ...NAV, 'sec-fetch-site': 'cross-site', cookie: agent.jar.header(appUrl) },
    })
    expect(res.status).toBe(403)
    const post = await agent.fetch(`${appUrl}/logout`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    })
    expect(post.status).toBe(403)
    expect((await agent.fetch(`${appUrl}/api/me`, { headers: API })).status).toBe(200)
    expect(provider.counters.revocation).toBe(0)
  })
})
