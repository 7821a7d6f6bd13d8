/**
 * `auth.handler()`, the front door every adapter mounts: which requests it serves, which it leaves
 * alone, configurable paths, absolute `Location`s, and errors answered, never thrown. No provider
 * is needed for these (discovery fails fast against a closed port).
 */
import { describe, expect, it } from 'vitest'
import { createOidcSession, type OidcSessionConfig } from 'oidc-session'

const APP = 'https://app.example'
const base: OidcSessionConfig = {
  issuer: 'http://127.0.0.1:9', // nothing listens: discovery fails fast
  client: { id: 'app', secret: 'client-secret-client-secret-0123456789' },
  redirectUri: `${APP}/auth/callback`,
  secrets: ['handler-secret-handler-secret-handler-0123'],
  http: { timeoutMs: 2_000 },
}

describe('auth.handler()', () => {
  const auth = createOidcSession({
    ...base,
    routes: { login: '/auth/login', logout: '/auth/logout' },
  })

  it('reports the resolved routes', () => {
    expect(auth.routes).toEqual({
      login: '/auth/login',
      callback: '/auth/callback',
      logout: '/auth/logout',
      backchannelLogout: '/backchannel-logout',
    })
  })

  it('answers undefined for every other path, whatever the method', async () => {
    for (const [path, method] of [
      ['/', 'GET'],
      ['/api/me', 'GET'],
      ['/login', 'GET'], // not the configured path
      ['/auth/login/extra', 'GET'],
      ['/auth/loginx', 'POST'],
    ] as const) {
      expect(await auth.handler(new Request(`${APP}${path}`, { method }))).toBeUndefined()
    }
  })

  it('answers 405 with Allow for a wrong method on an auth path', async () => {
    const put = (await auth.handler(new Request(`${APP}/auth/logout`, { method: 'PUT' })))!
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('GET, POST')
    const get = (await auth.handler(new Request(`${APP}/backchannel-logout`)))!
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
  })

  it('turns a provider outage into a 503 answer, never a throw', async () => {
    const login = (await auth.handler(
      new Request(`${APP}/auth/login`, { headers: { accept: 'application/json' } }),
    ))!
    expect(login.status).toBe(503)
    expect(login.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(await login.json()).toMatchObject({ error: 'temporarily_unavailable' })
  })

  it('answers a callback without a transaction with 400, a logout without a session with an absolute Location', async () => {
    const callback = (await auth.handler(
      new Request(`${APP}/auth/callback?code=x&state=y`, { headers: { accept: 'text/html' } }),
    ))!
    expect(callback.status).toBe(400)
    expect(await callback.text()).toMatch(/Login failed/)
    const logout = (await auth.handler(
      new Request(`${APP}/auth/logout`, { method: 'POST', headers: { origin: APP } }),
    ))!
    expect(logout.status).toBe(302)
    // No end-session endpoint reachable: straight to the post-logout URI, absolute.
    expect(logout.headers.get('location')).toBe(`${APP}/`)
  })

  it('accepts a request-like with a path-only URL (Node adapters) and resolves it on the app origin', async () => {
    const response = await auth.handler({ url: '/api/me', method: 'GET', headers: {} })
    expect(response).toBeUndefined()
    const logout = (await auth.handler({
      url: '/auth/logout',
      method: 'POST',
      headers: { origin: APP, host: 'evil.example' },
    }))!
    expect(logout.headers.get('location')).toBe(`${APP}/`)
  })
})

describe('every Location is absolute', () => {
  it('protect() redirects navigations to an absolute login URL on the app origin, whatever Host says', async () => {
    const auth = createOidcSession({ ...base, baseUrl: APP })
    const result = await auth.protect({
      url: '/orders?id=1',
      headers: {
        host: 'evil.example',
        'x-forwarded-host': 'evil.example',
        accept: 'text/html',
        'sec-fetch-mode': 'navigate',
      },
    })
    expect(result.ok).toBe(false)
    expect(result.response?.headers.get('location')).toBe(
      `${APP}/login?returnTo=%2Forders%3Fid%3D1`,
    )
  })
})
