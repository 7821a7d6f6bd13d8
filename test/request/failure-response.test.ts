/**
 * What `protect()` answers when there is no usable session, without a provider (no session cookie
 * means no network call): 401 JSON vs 302, where `returnTo` points, and that a failure answer
 * carries cookie deletions only.
 */
import { describe, expect, it } from 'vitest'
import { createOidcSession } from 'oidc-session'
import { deletionsOnly } from '../../src/request/responses.js'

const APP = 'https://app.example'
const auth = createOidcSession({
  issuer: 'https://idp.example',
  client: { id: 'app', secret: 'client-secret-client-secret-0123456789' },
  redirectUri: `${APP}/callback`,
  secrets: ['a-session-secret-a-session-secret-0123456789'],
})
const NAV = {
  accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
}
const FETCH = { accept: '*/*', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }

async function answer(url: string, headers: Record<string, string>, method = 'GET') {
  const result = await auth.protect({ url, method, headers })
  expect(result.session).toBeNull()
  return result.response!
}

const returnTo = (location: string | null | undefined) =>
  new URL(location ?? '', APP).searchParams.get('returnTo')

describe('navigation: 302 to login', () => {
  it('a GET returns to itself, query included', async () => {
    const res = await answer('/orders?id=7', NAV)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${APP}/login?returnTo=%2Forders%3Fid%3D7`)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.getSetCookie()).toEqual([])
  })

  it('a form POST returns to the same-origin page that held the form (its URL may be POST-only)', async () => {
    const res = await answer('/orders/cancel', { ...NAV, referer: `${APP}/orders?id=7` }, 'POST')
    expect(res.status).toBe(302)
    expect(returnTo(res.headers.get('location'))).toBe('/orders?id=7')
  })

  it('a form POST without a usable Referer returns to /', async () => {
    for (const referer of [undefined, 'https://evil.example/x', `${APP}/login?returnTo=/x`]) {
      const headers = referer ? { ...NAV, referer } : NAV
      const res = await answer('/orders/cancel', headers, 'POST')
      expect(returnTo(res.headers.get('location')), String(referer)).toBe('/')
    }
  })

  it('never returns to the login or callback route (no loop)', async () => {
    expect(returnTo((await answer('/callback?code=x', NAV)).headers.get('location'))).toBe('/')
  })
})

describe('API call: 401 JSON', () => {
  it('login_url returns to the page that made the call (Referer), not to the JSON endpoint', async () => {
    const res = await answer('/api/me', { ...FETCH, referer: `${APP}/dashboard` })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({
      error: 'unauthorized',
      error_description: 'no valid session (none)',
      login_url: '/login?returnTo=%2Fdashboard',
    })
    expect(res.headers.getSetCookie()).toEqual([])
  })

  it('without a same-origin Referer: its own path for a GET, / for other methods', async () => {
    const get = await answer('/api/me', { ...FETCH, referer: 'https://evil.example/' })
    expect(((await get.json()) as { login_url: string }).login_url).toBe(
      '/login?returnTo=%2Fapi%2Fme',
    )
    const post = await answer('/api/orders', { 'content-type': 'application/json' }, 'POST')
    expect(post.status).toBe(401)
    expect(((await post.json()) as { login_url: string }).login_url).toBe('/login?returnTo=%2F')
  })

  it('an <img> (no-cors) gets the 401, never a redirect to an HTML page', async () => {
    const res = await answer('/avatar.png', {
      accept: 'image/avif,image/webp,*/*;q=0.8',
      'sec-fetch-mode': 'no-cors',
      'sec-fetch-dest': 'image',
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('location')).toBeNull()
  })
})

describe('deletionsOnly', () => {
  it('keeps Max-Age=0 cookie lines and other headers, drops cookies being set', () => {
    const headers = new Headers({ 'x-trace': '1' })
    headers.append('set-cookie', 'oidc_session=; Max-Age=0; Path=/; HttpOnly')
    headers.append('set-cookie', 'oidc_session.1=; Path=/; max-age=0')
    headers.append('set-cookie', 'oidc_session_tx.abc=sealed; Max-Age=600; Path=/')
    headers.append('set-cookie', 'other2=x; Max-Age=0123; Path=/')
    const kept = deletionsOnly(headers)
    expect(kept.get('x-trace')).toBe('1')
    expect(kept.getSetCookie()).toEqual([
      'oidc_session=; Max-Age=0; Path=/; HttpOnly',
      'oidc_session.1=; Path=/; max-age=0',
    ])
  })
})
