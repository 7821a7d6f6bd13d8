/**
 * Every client authentication method, through the library, against the real provider: login,
 * a refresh (a second authenticated token call), userinfo — for `client_secret_basic`,
 * `client_secret_post`, `private_key_jwt` (ES256) and a public client (`none`, PKCE only).
 */
import type { Server } from 'node:http'
import { exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOidcSession, type ClientConfig } from 'oidc-session'
import { createApp } from '../../examples/express/app.js'
import { Agent } from '../fixtures/agent.js'
import {
  clientMetadata,
  freePort,
  startProvider,
  type ClientMetadata,
  type TestProvider,
} from '../fixtures/provider.js'

const SECRET = 'client-auth-secret-client-auth-secret-0123'
let provider: TestProvider
const servers: Server[] = []

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
})
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  await provider?.close()
})

interface Case {
  method: string
  metadata: (appUrl: string) => Promise<ClientMetadata>
  client: () => Promise<ClientConfig>
}

const es256 = generateKeyPair('ES256')
const cases: Case[] = [
  {
    method: 'client_secret_basic',
    metadata: async (appUrl) =>
      clientMetadata(appUrl, {
        client_id: 'basic',
        client_secret: 'basic-secret-basic-secret-basic-secret',
      }),
    client: async () => ({ id: 'basic', secret: 'basic-secret-basic-secret-basic-secret' }),
  },
  {
    method: 'client_secret_post',
    metadata: async (appUrl) =>
      clientMetadata(appUrl, {
        client_id: 'post',
        client_secret: 'post-secret-post-secret-post-secret',
        token_endpoint_auth_method: 'client_secret_post',
      }),
    client: async () => ({
      id: 'post',
      secret: 'post-secret-post-secret-post-secret',
      authMethod: 'client_secret_post',
    }),
  },
  {
    method: 'private_key_jwt',
    metadata: async (appUrl) => {
      const { publicKey } = await es256
      const jwk = { ...(await exportJWK(publicKey)), kid: 'rp-key', alg: 'ES256', use: 'sig' }
      const { client_secret: _unused, ...rest } = clientMetadata(appUrl, {
        client_id: 'pkjwt',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [jwk] },
      })
      return rest
    },
    client: async () => ({
      id: 'pkjwt',
      privateKey: { key: (await es256).privateKey, kid: 'rp-key' },
    }),
  },
  {
    method: 'none (public client)',
    metadata: async (appUrl) => {
      const { client_secret: _unused, ...rest } = clientMetadata(appUrl, {
        client_id: 'public',
        token_endpoint_auth_method: 'none',
      })
      return rest
    },
    client: async () => ({ id: 'public' }),
  },
]

describe('client authentication methods', () => {
  for (const c of cases) {
    it(`${c.method}: login, refresh and userinfo work`, async () => {
      const port = await freePort()
      const appUrl = `http://127.0.0.1:${port}`
      await provider.registerClient(await c.metadata(appUrl))
      let clock = 0
      const auth = createOidcSession({
        issuer: provider.issuer,
        client: await c.client(),
        redirectUri: `${appUrl}/callback`,
        secrets: [SECRET],
        now: () => Date.now() + clock * 1000,
      })
      const env = {
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: 'unused',
        APP_URL: appUrl,
        SESSION_SECRET: SECRET,
      }
      const server = await new Promise<Server>((resolve) => {
        const s = createApp(env, auth).listen(port, '127.0.0.1', () => resolve(s))
      })
      servers.push(server)
      provider.counters.reset()

      const agent = new Agent()
      const { url } = await agent.login(`${appUrl}/login?returnTo=/`, {
        username: `user-${c.method.split(' ')[0]}`,
      })
      expect(new URL(url).pathname).toBe('/')
      expect(provider.counters.token.authorization_code).toBe(1)
      expect(provider.counters.tokenErrors).toEqual({})

      clock = 400 // past the access token's expiry: the next request refreshes
      const me = await agent.fetch(`${appUrl}/api/me`, { headers: { accept: 'application/json' } })
      expect(me.status).toBe(200)
      expect(provider.counters.token.refresh_token).toBe(1)

      const info = await agent.fetch(`${appUrl}/api/userinfo`, {
        headers: { accept: 'application/json' },
      })
      expect(info.status).toBe(200)
      expect(((await info.json()) as { sub: string }).sub).toBe(`user-${c.method.split(' ')[0]}`)
      expect(provider.counters.tokenErrors).toEqual({})
    })
  }
})
