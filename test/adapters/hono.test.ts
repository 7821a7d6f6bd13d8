/**
 * oidc-session/hono, on Web standards only (app.request(), no server): the auth routes, protect()
 * and authenticate() with c.get('oidc'), refreshed Set-Cookie lines appended to whatever the route
 * returns (its own cookies, c.header(), an immutable Response.redirect()), and library errors
 * thrown downstream answered by the library.
 */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { SessionRequiredError } from 'oidc-session'
import { authenticate, oidcRouter, protect } from 'oidc-session/hono'
import { FORM, JSON_API, REFRESHED, standIn, type Seen } from './support.js'

const signedIn = { cookie: 'session=ok' }

describe('oidc-session/hono', () => {
  it('serves the auth routes on the Web request, and passes every other request on', async () => {
    const app = new Hono().use(oidcRouter(standIn())).get('/elsewhere', (c) => c.text('app'))
    const post = await app.request('/backchannel-logout', {
      method: 'POST',
      headers: FORM,
      body: 'logout_token=abc',
    })
    expect(JSON.parse(await post.text()) as Seen).toMatchObject({
      form: { logout_token: 'abc' },
      web: true,
    })
    expect(post.headers.getSetCookie()).toEqual([
      'tx=; Path=/; Max-Age=0',
      'other=; Path=/; Max-Age=0',
    ])
    const login = await app.request('/login')
    expect([login.status, login.headers.get('location'), await login.text()]).toEqual([
      302,
      'https://idp.example/auth',
      '',
    ])
    expect(await (await app.request('/elsewhere')).text()).toBe('app')
  })

  it('protect() answers without a session; with one, c.get("oidc") and the refreshed cookies on any answer', async () => {
    const auth = standIn()
    const app = new Hono()
      .use(oidcRouter(auth))
      .get('/json', protect(auth), (c) => {
        c.header('set-cookie', 'mine=1; Path=/', { append: true })
        return c.json({ sub: c.get('oidc').session.sub, reason: c.get('oidc').reason })
      })
      .get('/own', protect(auth), () => {
        const headers = new Headers({ 'set-cookie': 'own=1; Path=/' })
        return new Response('own', { headers })
      })
      .get('/redirect', protect(auth), () => Response.redirect('https://app.example/next', 303))
    const anonymous = await app.request('/json', { headers: JSON_API })
    expect([anonymous.status, await anonymous.json()]).toEqual([401, { error: 'unauthorized' }])
    const json = await app.request('/json', { headers: signedIn })
    expect(await json.json()).toEqual({ sub: 'alice', reason: 'refreshed' })
    expect(json.headers.getSetCookie()).toEqual(['mine=1; Path=/', ...REFRESHED])
    const own = await app.request('/own', { headers: signedIn })
    expect(own.headers.getSetCookie()).toEqual(['own=1; Path=/', ...REFRESHED])
    // Response.redirect() has immutable headers: the adapter copies it to add the cookies.
    const redirect = await app.request('/redirect', { headers: signedIn })
    expect([redirect.status, redirect.headers.get('location')]).toEqual([
      303,
      'https://app.example/next',
    ])
    expect(redirect.headers.getSetCookie()).toEqual(REFRESHED)
  })

  it('authenticate() continues either way; a library error downstream becomes its answer', async () => {
    const auth = standIn()
    const app = new Hono()
      .use(oidcRouter(auth))
      .get('/', authenticate(auth), (c) => {
        const oidc = c.get('oidc')
        return c.text(oidc.ok ? `hi ${oidc.session.sub}` : `guest (${oidc.reason})`)
      })
      .get('/library', protect(auth), () => {
        throw new SessionRequiredError('refresh-rejected')
      })
      .onError((error, c) => c.text(`app's own handler: ${error.name}`, 500))
    expect(await (await app.request('/')).text()).toBe('guest (none)')
    const hi = await app.request('/', { headers: signedIn })
    expect([await hi.text(), hi.headers.getSetCookie()]).toEqual(['hi alice', REFRESHED])
    const library = await app.request('/library', { headers: { ...JSON_API, ...signedIn } })
    expect([library.status, await library.json()]).toEqual([401, { code: 'ERR_SESSION_REQUIRED' }])
  })
})
