/**
 * `oidcProxy` (proxy.ts / middleware.ts) against the real provider, behind a stand-in for Next.js:
 * absolute redirects, 401 vs 302, refreshed cookies forwarded to the browser *and* downstream,
 * unprotected paths, the back-channel policy per runtime, option validation.
 */
import { NextRequest } from 'next/server'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { forwardCookies } from 'oidc-session'
import { oidcProxy, type ProxyOptions } from 'oidc-session/next'
import { Agent } from '../../fixtures/agent.js'
import { NAVIGATION_HEADERS as NAV } from '../../fixtures/navigate.js'
import { startProvider, type TestProvider } from '../../fixtures/provider.js'
import { downstreamOf, startProxyBed, type Downstream, type ProxyBed } from './support.js'

const API = { accept: 'application/json' }

let provider: TestProvider
const beds: ProxyBed[] = []

async function bed(options: ProxyOptions = {}): Promise<ProxyBed> {
  const started = await startProxyBed(provider, (auth) => oidcProxy(auth, options))
  beds.push(started)
  return started
}

async function login(target: ProxyBed, username: string): Promise<Agent> {
  const agent = new Agent()
  const { response, url } = await agent.login(`${target.url}/login?returnTo=/home`, { username })
  expect(response.status).toBe(200)
  expect(new URL(url).pathname).toBe('/home')
  return agent
}

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 3600 })
})
afterAll(async () => {
  await Promise.all(beds.map((b) => b.close()))
  await provider?.close()
})
beforeEach(() => provider.counters.reset())
afterEach(() => {
  delete (globalThis as { EdgeRuntime?: string }).EdgeRuntime
})

describe('oidcProxy', () => {
  it('answers the auth routes itself, every Location absolute', async () => {
    const target = await bed()
    const proxy = oidcProxy(target.auth)
    const login = await proxy(new NextRequest(`${target.url}/login?returnTo=/x`, { headers: NAV }))
    expect(login.status).toBe(302)
    expect(login.headers.get('location')!.startsWith(`${provider.issuer}/auth?`)).toBe(true)
    expect(login.headers.getSetCookie().some((line) => line.includes('_tx.'))).toBe(true)
    const wrongMethod = await proxy(new NextRequest(`${target.url}/backchannel-logout`))
    expect(wrongMethod.status).toBe(405)
    const logout = await proxy(
      new NextRequest(`${target.url}/logout`, { method: 'POST', headers: { origin: target.url } }),
    )
    expect(logout.status).toBe(302)
    expect(logout.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
  })

  it('without a session: 302 (absolute) to login for navigations, 401 JSON for API calls, nothing forwarded', async () => {
    const target = await bed()
    const proxy = oidcProxy(target.auth)
    const page = await proxy(new NextRequest(`${target.url}/orders?id=1`, { headers: NAV }))
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe(`${target.url}/login?returnTo=%2Forders%3Fid%3D1`)
    expect(page.headers.get('x-middleware-next')).toBeNull()
    const api = await proxy(new NextRequest(`${target.url}/api/orders`, { headers: API }))
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({ error: 'unauthorized' })
    expect(api.headers.getSetCookie()).toEqual([])
  })

  it('with a fresh session: continues without touching the request (no Set-Cookie, no override)', async () => {
    const target = await bed()
    const agent = await login(target, 'alice')
    const cookie = agent.jar.header(target.url)
    const request = new NextRequest(`${target.url}/api/me`, { headers: { ...API, cookie } })
    const response = await oidcProxy(target.auth)(request)
    expect(response.headers.get('x-middleware-next')).toBe('1')
    expect(response.headers.get('x-middleware-override-headers')).toBeNull()
    expect(response.headers.getSetCookie()).toEqual([])
    expect(provider.counters.token.refresh_token).toBeUndefined()
  })

  it('after a refresh: the new cookies go to the browser and replace the old ones downstream', async () => {
    const target = await bed()
    const agent = await login(target, 'bob')
    agent.jar.set(target.url, 'theme', 'dark')
    const before = agent.jar.header(target.url)
    target.clock.seconds = 400
    const request = new NextRequest(`${target.url}/`, { headers: { ...NAV, cookie: before } })
    const response = await oidcProxy(target.auth)(request)
    expect(provider.counters.token.refresh_token).toBe(1)
    expect(response.headers.get('x-middleware-next')).toBe('1')
    const lines = response.headers.getSetCookie()
    expect(lines.some((line) => line.startsWith('oidc_session='))).toBe(true)
    const downstream = downstreamOf(request, response)
    expect(downstream.cookie).toBe(forwardCookies(before, lines))
    expect(downstream.cookie).toContain('theme=dark')
    expect(downstream.cookie).not.toBe(before)
    // Every other request header reaches the route unchanged.
    expect(response.headers.get('x-middleware-request-accept')).toBe(NAV.accept)

    // What reached the route is a session the route can read without refreshing again.
    const read = await target.auth.authenticate(
      { url: '/', headers: { cookie: downstream.cookie! } },
      { refresh: false },
    )
    expect(read).toMatchObject({ ok: true, reason: 'valid' })
    expect(provider.counters.token.refresh_token).toBe(1)
  })

  it("hands the refresh to Next.js's event.waitUntil, so a cancelled request does not lose it", async () => {
    const target = await bed()
    const agent = await login(target, 'bea')
    target.clock.seconds = 400
    const kept: Promise<unknown>[] = []
    const event = { waitUntil: (promise: Promise<unknown>) => void kept.push(promise) }
    const request = new NextRequest(`${target.url}/api/me`, {
      headers: { ...API, cookie: agent.jar.header(target.url) },
    })
    const response = await oidcProxy(target.auth)(request, event as never)
    expect(response.headers.get('x-middleware-next')).toBe('1')
    expect(kept.length).toBeGreaterThan(0)
    await Promise.all(kept)
    expect(provider.counters.token.refresh_token).toBe(1)
  })

  it('end to end behind the stand-in: the route behind the proxy sees the refreshed cookie', async () => {
    const target = await bed()
    const agent = await login(target, 'carol')
    const stale = agent.jar.header(target.url)
    target.clock.seconds = 400
    const first = await agent.fetch(`${target.url}/api/me`, { headers: API })
    expect(first.status).toBe(200)
    const seen = (await first.json()) as Downstream
    expect(seen.cookie).toBe(agent.jar.header(target.url)) // what the browser now holds
    expect(seen.cookie).not.toBe(stale)
    const late = await fetch(`${target.url}/api/me`, { headers: { ...API, cookie: stale } })
    expect(((await late.json()) as Downstream).cookie).toBe(seen.cookie)
    expect(provider.counters.token.refresh_token).toBe(1)
  })

  it('unprotected paths continue without a session, and still get a due session refreshed', async () => {
    const target = await bed({ protect: (request) => request.nextUrl.pathname !== '/public' })
    const proxy = oidcProxy(target.auth, {
      protect: (request) => request.nextUrl.pathname !== '/public',
    })
    const anonymous = await proxy(new NextRequest(`${target.url}/public`, { headers: NAV }))
    expect(anonymous.status).toBe(200)
    expect(anonymous.headers.get('x-middleware-next')).toBe('1')
    const agent = await login(target, 'dave')
    target.clock.seconds = 400
    const cookie = agent.jar.header(target.url)
    const request = new NextRequest(`${target.url}/public`, { headers: { ...NAV, cookie } })
    const refreshed = await proxy(request)
    expect(refreshed.headers.get('x-middleware-next')).toBe('1')
    expect(provider.counters.token.refresh_token).toBe(1)
    expect(downstreamOf(request, refreshed).cookie).not.toBe(cookie)
  })

  it('a logged-out cookie on an unprotected path: its deletion is forwarded, the route sees no session cookie', async () => {
    const target = await bed()
    const proxy = oidcProxy(target.auth, { protect: () => false })
    const agent = await login(target, 'erin')
    const cookie = `theme=dark; oidc_session=${agent.jar.get('oidc_session', target.url)}`
    const logout = await proxy(
      new NextRequest(`${target.url}/logout`, {
        method: 'POST',
        headers: { origin: target.url, cookie },
      }),
    )
    expect(logout.status).toBe(302)
    const request = new NextRequest(`${target.url}/public`, { headers: { ...NAV, cookie } })
    const response = await proxy(request)
    expect(response.headers.get('x-middleware-next')).toBe('1')
    expect(response.headers.getSetCookie().join('\n')).toMatch(/^oidc_session=;.*Max-Age=0/im)
    expect(downstreamOf(request, response).cookie).toBe('theme=dark')
  })

  describe('back-channel logout policy', () => {
    const post = (url: string) =>
      new NextRequest(`${url}/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'logout_token=x.y.z',
      })

    it('Node runtime, auto: the core receiver answers (here: 400 invalid_request for a junk token)', async () => {
      const target = await bed()
      const response = await oidcProxy(target.auth)(post(target.url))
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ error: 'invalid_request' })
    })

    it('Edge runtime, auto: 400 backchannel_logout_unavailable, never a 200', async () => {
      const target = await bed()
      ;(globalThis as { EdgeRuntime?: string }).EdgeRuntime = 'edge-runtime'
      const response = await oidcProxy(target.auth)(post(target.url))
      expect(response.status).toBe(400)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(await response.json()).toMatchObject({ error: 'backchannel_logout_unavailable' })
    })
  })

  it('takes a factory, called per request (lazy creation at request time)', async () => {
    const target = await bed()
    let calls = 0
    const proxy = oidcProxy(() => {
      calls++
      return target.auth
    })
    expect(calls).toBe(0)
    await proxy(new NextRequest(`${target.url}/api/x`, { headers: API }))
    await proxy(new NextRequest(`${target.url}/api/x`, { headers: API }))
    expect(calls).toBe(2)
  })
})
