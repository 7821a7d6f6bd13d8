/**
 * DPoP (RFC 9449) against the real provider (nonces required) and an upstream that verifies every
 * proof: the session's key binds the code exchange, the refreshes, UserInfo and forwarded calls;
 * `use_dpop_nonce` answers are retried; the private key is sealed under the app's secrets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOidcSession, memoryStore } from 'oidc-session'
import { createDpopKeys } from '../../src/oidc/dpop.js'
import { createProviderContext } from '../../src/oidc/provider.js'
import { Agent } from '../fixtures/agent.js'
import type { TestProvider } from '../fixtures/provider.js'
import { startApp, startBedProvider, startUpstream, type App, type Upstream } from './support.js'

const JSON_API = { accept: 'application/json' }
const request = (cookie: string) => ({ url: '/', headers: { cookie } })

let provider: TestProvider
let upstream: Upstream

beforeAll(async () => {
  provider = await startBedProvider({ accessTokenTtl: 300, idTokenTtl: 3600, dpopNonce: true })
  upstream = await startUpstream(provider, { requireNonce: true })
})
afterAll(async () => {
  await upstream?.close()
  await provider?.close()
})

async function signIn(app: App, username: string): Promise<Agent> {
  const agent = new Agent()
  const { response } = await agent.login(`${app.url}/login?returnTo=/`, { username })
  expect(response.status).toBe(200)
  return agent
}

describe('dpop: true against a provider that requires DPoP nonces', () => {
  let app: App

  beforeAll(async () => {
    app = await startApp(provider, upstream.url, { dpop: true })
  })
  afterAll(() => app?.close())

  it('binds the code exchange, the refresh and UserInfo to the session key, retrying use_dpop_nonce once', async () => {
    provider.counters.reset()
    const agent = await signIn(app, 'alice')
    // The first proof had no nonce: the provider answered use_dpop_nonce and the retry passed.
    expect(provider.counters.tokenErrors).toEqual({ use_dpop_nonce: 1 })
    expect(provider.counters.token.authorization_code).toBe(2)

    const cookie = agent.jar.header(app.url)
    const loaded = await app.auth.authenticate(request(cookie))
    expect(loaded.session?.tokens.tokenType).toBe('dpop')
    const sealed = loaded.session!.dpopKey!
    expect(sealed.split('.')).toHaveLength(5) // a JWE: the private key never travels in clear
    expect(sealed).not.toContain('"d"')

    const { claims } = await app.auth.userinfo(request(cookie))
    expect(claims.sub).toBe('alice')

    app.clock.seconds = 400
    provider.counters.reset()
    const refreshed = await app.auth.accessToken(request(cookie))
    expect(refreshed.tokenType).toBe('dpop')
    expect(provider.counters.token.refresh_token).toBe(1) // the nonce learned at login was used
    expect(provider.counters.tokenErrors).toEqual({})
    app.clock.seconds = 0
  })

  it('forwards with a proof (ath, the key of cnf.jkt) and retries the upstream nonce challenge for a GET', async () => {
    const agent = await signIn(app, 'bob')
    upstream.rotateNonce() // the nonce every session knows is now stale
    const before = upstream.seen.length
    const res = await agent.fetch(`${app.url}/orders?id=7`, { headers: JSON_API })
    expect(res.status).toBe(200)
    const attempts = upstream.seen.slice(before)
    expect(attempts.map((s) => s.proof?.reason ?? 'ok')).toEqual(['nonce', 'ok'])
    const last = attempts.at(-1)!
    expect(last.scheme).toBe('DPoP')
    expect(last.proof?.jkt).toBe((last.token.cnf as { jkt: string }).jkt)
  })

  it("a new session's first POST uses the nonce another session learned; a stale nonce on a POST is the upstream's answer", async () => {
    const carol = await signIn(app, 'carol')
    const before = upstream.seen.length
    const post = await carol.fetch(`${app.url}/orders`, {
      method: 'POST',
      body: JSON.stringify({ item: 1 }),
      headers: { ...JSON_API, 'content-type': 'application/json' },
    })
    expect(post.status).toBe(200)
    expect(upstream.seen.slice(before)).toHaveLength(1)

    upstream.rotateNonce()
    const stale = await carol.fetch(`${app.url}/orders`, {
      method: 'POST',
      body: JSON.stringify({ item: 2 }),
      headers: { ...JSON_API, 'content-type': 'application/json' },
    })
    // A streamed body cannot be sent twice: the challenge goes back to the client as is.
    expect(stale.status).toBe(401)
    expect(stale.headers.get('www-authenticate')).toContain('use_dpop_nonce')
    const get = await carol.fetch(`${app.url}/orders`, { headers: JSON_API })
    expect(get.status).toBe(200)
  })
})

describe('the sealed DPoP key', () => {
  it('does not open without the app secret: a copy of the session cannot present its tokens', async () => {
    const store = memoryStore()
    const app = await startApp(provider, upstream.url, { dpop: true, store })
    try {
      const agent = await signIn(app, 'dave')
      const cookie = agent.jar.header(app.url)
      const client = (await provider.provider.Client.find(app.clientId)) as {
        clientSecret: string
      }
      // Another deployment with the same (stateful, shared) store but without the secret.
      const thief = createOidcSession({
        issuer: provider.issuer,
        client: { id: app.clientId, secret: client.clientSecret },
        redirectUri: `${app.url}/callback`,
        secrets: ['another-secret-another-secret-another-0123'],
        store,
      })
      expect((await thief.authenticate(request(cookie))).ok).toBe(true)
      const res = await thief.forward(request(cookie), upstream.url)
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ error_description: 'no valid session (tampered)' })
      expect((await agent.fetch(`${app.url}/x`, { headers: JSON_API })).status).toBe(200)
    } finally {
      await app.close()
    }
  })

  it('opens with any of the secrets (rotation) and is cached by its sealed form', async () => {
    const context = createProviderContext({
      issuer: new URL(provider.issuer),
      client: { id: 'app', authMethod: 'none' },
      redirectUri: new URL('http://127.0.0.1/callback'),
      scope: 'openid',
      scopeExplicit: true,
      provider: undefined,
      authorizationParams: {},
      timeoutMs: 1000,
      allowInsecureRequests: true,
      fetch: undefined,
      clockToleranceSeconds: 0,
      now: Date.now,
    })
    const now = Math.floor(Date.now() / 1000)
    const old = createDpopKeys(context, ['old-secret-old-secret-old-secret-old-0123'])
    const { key, sealed } = await old.create(now + 60)
    const rotated = createDpopKeys(context, [
      'new-secret-new-secret-new-secret-new-0123',
      'old-secret-old-secret-old-secret-old-0123',
    ])
    const opened = await rotated.open(sealed, now)
    expect(await opened.thumbprint()).toBe(await key.thumbprint())
    expect(await rotated.open(sealed, now)).toBe(opened) // cached
    await expect(rotated.open(sealed, now + 61)).rejects.toMatchObject({ code: 'ERR_SEAL_INVALID' })
    const foreign = createDpopKeys(context, ['new-secret-new-secret-new-secret-new-0123'])
    await expect(foreign.open(sealed, now)).rejects.toMatchObject({ code: 'ERR_SEAL_INVALID' })
  })
})

describe('dpop: false', () => {
  it('keeps no key and sends Bearer tokens', async () => {
    const app = await startApp(provider, upstream.url)
    try {
      const agent = await signIn(app, 'erin')
      const loaded = await app.auth.authenticate(request(agent.jar.header(app.url)))
      expect(loaded.session?.dpopKey).toBeUndefined()
      expect(loaded.session?.tokens.tokenType).toBe('bearer')
      const res = await agent.fetch(`${app.url}/x`, { headers: JSON_API })
      expect(res.status).toBe(200)
      expect(upstream.seen.at(-1)).toMatchObject({ scheme: 'Bearer' })
      expect(upstream.seen.at(-1)!.headers.dpop).toBeUndefined()
    } finally {
      await app.close()
    }
  })
})
