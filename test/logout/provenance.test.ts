/**
 * Logout never happens by accident: not on a speculative prefetch or prerender, and not on a GET
 * that proves nothing about where it comes from (plain-HTTP deployments, where browsers send no
 * Fetch Metadata) — that one gets a confirmation page with a POST button.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAppBed, type AppBed } from '../fixtures/app-bed.js'

let bed: AppBed

beforeAll(async () => {
  bed = await startAppBed()
})

afterAll(async () => {
  await bed?.close()
})

const logout = (headers: Record<string, string>, method = 'GET') =>
  bed.auth.handler(new Request(`${bed.url}/logout`, { method, headers })) as Promise<Response>

async function stillLoggedIn(cookie: string): Promise<void> {
  expect((await bed.auth.authenticate(bed.request(cookie))).ok).toBe(true)
}

describe('speculative loads never log out (logout-prefetch)', () => {
  it('refuses Sec-Purpose prefetch and prerender, as Chromium sends them for speculation rules', async () => {
    const cookie = bed.cookieOf(await bed.login('prefetch-user'))
    for (const purpose of ['prefetch', 'prefetch;prerender', 'prefetch;anonymous-client-ip']) {
      const response = await logout({
        cookie,
        'sec-purpose': purpose,
        'sec-fetch-site': 'none',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-dest': 'document',
        accept: 'text/html',
      })
      expect(response.status).toBe(403)
      expect(response.headers.getSetCookie()).toEqual([])
      await stillLoggedIn(cookie)
    }
    const legacy = await logout({ cookie, purpose: 'prefetch', accept: 'text/html' })
    expect(legacy.status).toBe(403)
    await stillLoggedIn(cookie)
  })
})

describe('a GET without provenance gets a confirmation page (logout-csrf-plain-http)', () => {
  it('answers a page whose button POSTs the logout, and ends nothing', async () => {
    const cookie = bed.cookieOf(await bed.login('plain-http-user'))
    // What Chromium sends to a plain-HTTP, non-loopback origin for a link from another site:
    // no Sec-Fetch-*, no Origin, no Referer (or one of another site, refused outright).
    const page = await logout({ cookie, accept: 'text/html,application/xhtml+xml' })
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toBe('no-store')
    expect(page.headers.getSetCookie()).toEqual([])
    const body = await page.text()
    expect(body).toMatch(/<form method="post" action="\/logout"><button type="submit">Log out/)
    await stillLoggedIn(cookie)

    const crossSiteReferer = await logout({
      cookie,
      accept: 'text/html',
      referer: 'http://evil.example/page',
    })
    expect(crossSiteReferer.status).toBe(403)
    await stillLoggedIn(cookie)

    const api = await logout({ cookie, accept: 'application/json' })
    expect(api.status).toBe(403)
    expect(await api.json()).toMatchObject({ error: 'logout_confirmation_required' })
    await stillLoggedIn(cookie)

    // The page's button: a same-origin POST (browsers send Origin on every POST).
    const confirmed = await logout({ cookie, origin: bed.url, accept: 'text/html' }, 'POST')
    expect(confirmed.status).toBe(302)
    expect((await bed.auth.authenticate(bed.request(cookie))).ok).toBe(false)
  })

  it('a same-origin Referer or Fetch Metadata is proof enough for a GET', async () => {
    const viaReferer = bed.cookieOf(await bed.login('referer-user'))
    const byReferer = await logout({
      cookie: viaReferer,
      accept: 'text/html',
      referer: `${bed.url}/`,
    })
    expect(byReferer.status).toBe(302)
    const typed = bed.cookieOf(await bed.login('typed-user'))
    const byTyping = await logout({
      cookie: typed,
      accept: 'text/html',
      'sec-fetch-site': 'none',
      'sec-fetch-mode': 'navigate',
    })
    expect(byTyping.status).toBe(302)
  })
})
