/**
 * Pushed authorization requests (RFC 9126) against the real provider: used whenever discovery says
 * `require_pushed_authorization_requests` or the configuration asks, never downgraded to a plain
 * authorization request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent } from '../fixtures/agent.js'
import type { TestProvider } from '../fixtures/provider.js'
import {
  API,
  startApp,
  startBedProvider,
  startUpstream,
  type App,
  type Upstream,
} from './support.js'

const JSON_API = { accept: 'application/json' }

async function signIn(app: App, username: string): Promise<Agent> {
  const agent = new Agent()
  const { response, url } = await agent.login(`${app.url}/login?returnTo=/landing`, { username })
  expect(response.status).toBe(200)
  expect(url).toBe(`${app.url}/landing`)
  return agent
}

describe('a provider that requires PAR', () => {
  let provider: TestProvider
  let upstream: Upstream

  beforeAll(async () => {
    provider = await startBedProvider({ requirePushedAuthorizationRequests: true })
    upstream = await startUpstream(provider)
  })
  afterAll(async () => {
    await upstream?.close()
    await provider?.close()
  })

  it('gets pushed requests without any configuration, and login works (DPoP and a resource included)', async () => {
    const app = await startApp(provider, upstream.url, {
      dpop: true,
      resources: { default: API },
    })
    try {
      provider.counters.reset()
      const agent = await signIn(app, 'alice')
      expect(provider.counters.pushedAuthorization).toBe(1)
      const authorize = app.authorizationUrls.at(-1)!
      expect([...authorize.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
      expect(authorize.searchParams.get('request_uri')).toMatch(
        /^urn:ietf:params:oauth:request_uri:/,
      )
      // The pushed parameters reached the provider: the token is the API's, bound to the key.
      const res = await agent.fetch(`${app.url}/orders`, { headers: JSON_API })
      expect(res.status).toBe(200)
      expect(upstream.seen.at(-1)!.token).toMatchObject({ active: true, aud: API })
      expect(upstream.seen.at(-1)!.scheme).toBe('DPoP')
    } finally {
      await app.close()
    }
  })

  it('never downgrades: discovery requiring PAR without an endpoint fails the login', async () => {
    const app = await startApp(provider, upstream.url, {
      http: {
        fetch: async (input, init) => {
          const response = await fetch(input, init)
          const url = new URL(input instanceof Request ? input.url : input)
          if (!url.pathname.endsWith('/.well-known/openid-configuration')) return response
          const metadata = (await response.json()) as Record<string, unknown>
          delete metadata.pushed_authorization_request_endpoint
          return Response.json(metadata)
        },
      },
    })
    try {
      provider.counters.reset()
      const res = await fetch(`${app.url}/login?returnTo=/`, {
        headers: JSON_API,
        redirect: 'manual',
      })
      expect(res.status).toBe(500)
      expect(res.headers.get('location')).toBeNull()
      expect(await res.json()).toMatchObject({ code: 'ERR_PROVIDER_RESPONSE_INVALID' })
      expect(provider.counters.authorization).toBe(0)
      expect(provider.counters.pushedAuthorization).toBe(0)
    } finally {
      await app.close()
    }
  })
})

describe('a provider that offers PAR without requiring it', () => {
  let provider: TestProvider
  let upstream: Upstream

  beforeAll(async () => {
    provider = await startBedProvider()
    upstream = await startUpstream(provider)
  })
  afterAll(async () => {
    await upstream?.close()
    await provider?.close()
  })

  it('pushes when configured to', async () => {
    const app = await startApp(provider, upstream.url, { pushedAuthorizationRequests: true })
    try {
      provider.counters.reset()
      await signIn(app, 'bob')
      expect(provider.counters.pushedAuthorization).toBe(1)
      expect(app.authorizationUrls.at(-1)!.searchParams.has('request_uri')).toBe(true)
    } finally {
      await app.close()
    }
  })

  it('sends a plain authorization request otherwise', async () => {
    const app = await startApp(provider, upstream.url)
    try {
      provider.counters.reset()
      await signIn(app, 'carol')
      expect(provider.counters.pushedAuthorization).toBe(0)
      expect(app.authorizationUrls.at(-1)!.searchParams.has('code_challenge')).toBe(true)
    } finally {
      await app.close()
    }
  })
})
