/**
 * Logout and back-channel logout under faults: a back-channel logout whose first attempt fails is
 * accepted when the provider retries the same token; a logout while the store is down answers 503,
 * keeps the cookie, and works once the store is back.
 */
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  memoryRevocationList,
  memoryStore,
  StoreUnavailableError,
  type RevocationList,
  type SessionStore,
} from 'oidc-session'
import { startAppBed, type AppBed } from '../fixtures/app-bed.js'
import { startProvider, type TestProvider } from '../fixtures/provider.js'

const EVENT = 'http://schemas.openid.net/event/backchannel-logout'
const KID = 'faults-rs256'

let provider: TestProvider
let providerKey: CryptoKey

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true })
  providerKey = pair.privateKey
  const jwk: JWK = { ...(await exportJWK(pair.privateKey)), alg: 'RS256', use: 'sig', kid: KID }
  provider = await startProvider({ jwks: [jwk], accessTokenTtl: 300, idTokenTtl: 300 })
})

afterAll(async () => {
  await provider?.close()
})

async function logoutToken(clientId: string, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    iss: provider.issuer,
    aud: clientId,
    iat: now,
    exp: now + 120,
    jti: `retry-${Math.random()}`,
    events: { [EVENT]: {} },
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'logout+jwt' })
    .sign(providerKey)
}

function deliver(bed: AppBed, token: string): Promise<Response> {
  return bed.auth.backchannelLogout(
    new Request(`${bed.url}/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }),
    }),
  )
}

describe('a back-channel logout that fails once', () => {
  it('succeeds when the provider retries the same token (backchannel-retry-after-failure)', async () => {
    const list = memoryRevocationList()
    let failures = 1
    const flaky: RevocationList = {
      shared: false,
      add: async (entry, ttl) => {
        if (failures-- > 0) throw new StoreUnavailableError('revocation list down')
        return list.add(entry, ttl)
      },
      notBefore: (keys) => list.notBefore(keys),
    }
    const bed = await startAppBed({ provider, session: { logout: { revocationList: flaky } } })
    try {
      const agent = await bed.login('retry-user')
      const cookie = bed.cookieOf(agent)
      const { session } = await bed.auth.authenticate(bed.request(cookie))
      const token = await logoutToken(bed.clientId, { sid: session!.sid })

      const first = await deliver(bed, token)
      expect(first.status).toBe(400)
      expect(await first.json()).toMatchObject({ error: 'temporarily_unavailable' })
      expect((await bed.auth.authenticate(bed.request(cookie))).ok).toBe(true)

      const retry = await deliver(bed, token)
      expect(retry.status).toBe(200)
      expect(await bed.auth.authenticate(bed.request(cookie))).toMatchObject({
        ok: false,
        reason: 'revoked',
      })
      // And a third delivery of the same token is a replay.
      const replay = await deliver(bed, token)
      expect(replay.status).toBe(400)
      expect(((await replay.json()) as { error_description: string }).error_description).toMatch(
        /jti/,
      )
    } finally {
      await bed.close()
    }
  })
})

describe('logout while the store is down', () => {
  it('answers 503 through the handler, keeps the cookie, and a retry after recovery works (logout-store-down)', async () => {
    const inner = memoryStore()
    let down = false
    const store: SessionStore = {
      stateful: true,
      shared: false,
      load: (ctx) =>
        down ? Promise.reject(new StoreUnavailableError('store down')) : inner.load(ctx),
      save: (ctx, session) => inner.save(ctx, session),
      destroy: (ctx, session) =>
        down
          ? Promise.reject(new StoreUnavailableError('store down'))
          : inner.destroy(ctx, session),
    }
    const bed = await startAppBed({ provider, session: { store } })
    try {
      const agent = await bed.login('store-down-user')
      const cookie = bed.cookieOf(agent)
      const logout = () =>
        bed.auth.handler(
          new Request(`${bed.url}/logout`, {
            method: 'POST',
            headers: { cookie, origin: bed.url, accept: 'application/json' },
          }),
        )
      provider.counters.reset()
      down = true
      const refused = (await logout())!
      expect(refused.status).toBe(503)
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(refused.headers.getSetCookie()).toEqual([]) // the cookie is kept
      expect(provider.counters.revocation).toBe(0) // nothing was revoked
      expect(refused.headers.get('location')).toBeNull()

      down = false
      expect((await bed.auth.authenticate(bed.request(cookie))).ok).toBe(true)
      const done = (await logout())!
      expect(done.status).toBe(302)
      expect(new URL(done.headers.get('location')!).searchParams.get('id_token_hint')).toBeTruthy()
      expect(provider.counters.revocation).toBe(1)
      expect((await bed.auth.authenticate(bed.request(cookie))).ok).toBe(false)
    } finally {
      await bed.close()
    }
  })
})
