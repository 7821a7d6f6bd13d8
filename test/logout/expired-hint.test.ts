/**
 * A provider that refuses expired `id_token_hint`s (as Spring Authorization Server, FusionAuth and
 * PingOne do; the fixture's `rejectExpiredIdTokenHint`), and a session whose id_token has expired:
 * logout refreshes first, so the hint it sends is valid and the logout succeeds.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOidcSession, memoryStore, type SessionStore } from 'oidc-session'
import { startProvider, type TestProvider } from '../fixtures/provider.js'
import {
  BED_SECRET as SECRET,
  requestTo as request,
  startAppBed,
  type AppBed as TestApp,
} from '../fixtures/app-bed.js'

const ID_TOKEN_TTL = 3

let provider: TestProvider
const apps: TestApp[] = []

beforeAll(async () => {
  provider = await startProvider({
    accessTokenTtl: 300,
    idTokenTtl: ID_TOKEN_TTL,
    rejectExpiredIdTokenHint: true,
  })
})

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()))
  await provider?.close()
})

/** Wait (real time: the provider's clock) until an id_token has expired. */
async function untilExpired(idToken: string): Promise<void> {
  const exp = decodeJwt(idToken).exp!
  const wait = exp * 1000 - Date.now() + 50
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  expect(Date.now() / 1000).toBeGreaterThan(exp)
}

async function scenario(name: string, store?: SessionStore) {
  const app = await startAppBed({ provider, session: store ? { store } : {} })
  apps.push(app)
  const agent = await app.login(name)
  const cookie = app.cookieOf(agent)
  const session = (await app.auth.authenticate(request(app, '/api/me', cookie))).session!
  return { app, agent, cookie, idToken: session.tokens.idToken! }
}

describe('logout with an expired id_token at a provider that refuses expired hints', () => {
  it('refreshes first (cookie store and memory store); without that, the provider refuses', async () => {
    const cookieCase = await scenario('alice')
    const memoryCase = await scenario('bob', memoryStore())
    const deadGrant = await scenario('carol')
    await untilExpired(cookieCase.idToken)
    await untilExpired(memoryCase.idToken)
    await untilExpired(deadGrant.idToken)

    // Counterfactual: the same cookie, logout without refreshing first → the provider's 400 page.
    const app = cookieCase.app
    const plain = createOidcSession({
      issuer: provider.issuer,
      client: { id: app.clientId, secret: app.clientSecret },
      redirectUri: `${app.url}/callback`,
      secrets: [SECRET],
      logout: { refreshExpiredIdToken: false, revokeRefreshToken: false },
    })
    const refused = await plain.logout(request(app, '/logout', cookieCase.cookie))
    const refusedHint = new URL(refused.headers.get('location')!).searchParams.get('id_token_hint')
    expect(refusedHint).toBe(cookieCase.idToken)
    await expect(
      cookieCase.agent.logoutAtProvider(refused.headers.get('location')!),
    ).rejects.toThrow(/answered 400/)

    for (const { app: target, agent, cookie, idToken } of [cookieCase, memoryCase]) {
      provider.counters.reset()
      const response = await target.auth.logout(request(target, '/logout', cookie))
      expect(response.status).toBe(302)
      const location = response.headers.get('location')!
      const hint = new URL(location).searchParams.get('id_token_hint')!
      expect(hint).not.toBe(idToken)
      expect(decodeJwt(hint).exp!).toBeGreaterThan(Date.now() / 1000)
      expect(decodeJwt(hint).sub).toBe(decodeJwt(idToken).sub)
      expect(provider.counters.token.refresh_token).toBe(1)
      expect(provider.counters.revocation).toBe(1)

      const done = await agent.logoutAtProvider(location)
      expect(new URL(done.url).origin).toBe(target.url)
      expect(provider.counters.endSession).toBeGreaterThanOrEqual(1)
      // The provider's back-channel call ended even a replay of the old cookie.
      expect(provider.counters.backchannelDelivered).toBe(1)
      const replay = await target.auth.authenticate(request(target, '/api/me', cookie))
      expect(replay.reason).toBe('revoked')
    }

    // The grant is gone (revoked by an administrator): no valid id_token can be had, so the
    // expired one is left out and the provider gets client_id + logout_hint instead.
    const target = deadGrant.app
    const session = (await target.auth.authenticate(request(target, '/api/me', deadGrant.cookie)))
      .session!
    const revoked = await fetch(`${provider.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${target.clientId}:${target.clientSecret}`)}`,
      },
      body: new URLSearchParams({
        token: session.tokens.refreshToken!,
        token_type_hint: 'refresh_token',
      }),
    })
    expect(revoked.status).toBe(200)
    const response = await target.auth.logout(request(target, '/logout', deadGrant.cookie))
    const params = new URL(response.headers.get('location')!).searchParams
    expect(params.has('id_token_hint')).toBe(false)
    expect(params.get('logout_hint')).toBe('carol')
    expect(params.get('client_id')).toBe(target.clientId)
    const done = await deadGrant.agent.logoutAtProvider(response.headers.get('location')!)
    expect(new URL(done.url).origin).toBe(target.url)
  })
})
