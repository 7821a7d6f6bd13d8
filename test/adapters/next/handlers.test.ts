/**
 * `handlers(auth)`: the auth routes as Route Handlers, for apps without a proxy.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createOidcSession } from 'oidc-session'
import { handlers } from 'oidc-session/next'
import { NAVIGATION_HEADERS as NAV } from '../../fixtures/navigate.js'
import { clientMetadata, startProvider, type TestProvider } from '../../fixtures/provider.js'

const APP = 'http://127.0.0.1:4999'
let provider: TestProvider

beforeAll(async () => {
  provider = await startProvider()
  await provider.registerClient(
    clientMetadata(APP, { client_id: 'handlers', client_secret: 'handlers-secret-0123456789' }),
  )
})
afterAll(() => provider?.close())
afterEach(() => {
  delete (globalThis as { EdgeRuntime?: string }).EdgeRuntime
})

const auth = () =>
  createOidcSession({
    issuer: provider.issuer,
    client: { id: 'handlers', secret: 'handlers-secret-0123456789' },
    redirectUri: `${APP}/callback`,
    secrets: ['handlers-test-secret-handlers-test-secret-01'],
  })

describe('handlers', () => {
  it('GET /login starts a login; GET /callback without a transaction is a 400 page, never a 500', async () => {
    const { GET } = handlers(auth())
    const login = await GET(new Request(`${APP}/login?returnTo=/orders`, { headers: NAV }))
    expect(login.status).toBe(302)
    expect(login.headers.get('location')!.startsWith(`${provider.issuer}/auth?`)).toBe(true)
    const callback = await GET(new Request(`${APP}/callback?code=x&state=y`, { headers: NAV }))
    expect(callback.status).toBe(400)
    expect(callback.headers.get('content-type')).toMatch(/^text\/html/)
  })

  it('POST /logout ends the (absent) session and redirects, absolute; a cross-site POST gets 403', async () => {
    const { POST } = handlers(auth)
    const logout = await POST(
      new Request(`${APP}/logout`, { method: 'POST', headers: { origin: APP } }),
    )
    expect(logout.status).toBe(302)
    expect(logout.headers.get('location')).toMatch(/^http:\/\//)
    const crossSite = await POST(
      new Request(`${APP}/logout`, { method: 'POST', headers: { origin: 'https://evil.example' } }),
    )
    expect(crossSite.status).toBe(403)
  })

  it('a path that is not an auth route gets 404 JSON', async () => {
    const { GET } = handlers(auth())
    const other = await GET(new Request(`${APP}/elsewhere`))
    expect(other.status).toBe(404)
    expect(await other.json()).toEqual({ error: 'not_found' })
  })

  it('back-channel logout: handled on Node, refused with 400 on Edge', async () => {
    const post = () =>
      new Request(`${APP}/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'logout_token=x.y.z',
      })
    const { POST } = handlers(auth())
    expect(await (await POST(post())).json()).toMatchObject({ error: 'invalid_request' })
    ;(globalThis as { EdgeRuntime?: string }).EdgeRuntime = 'edge-runtime'
    const refused = await POST(post())
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ error: 'backchannel_logout_unavailable' })
  })
})
