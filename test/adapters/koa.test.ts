/**
 * oidc-session/koa on Koa 3 and Koa 2: the auth routes read a form body themselves or take the one
 * @koa/bodyparser left; a body-less 302 stays a body-less 302; protect()/authenticate() put the
 * session on ctx.state.oidc and keep the refreshed Set-Cookie lines whatever the route does — even
 * on an error answer; library errors thrown downstream become their answer.
 */
import { createServer, type RequestListener, type Server } from 'node:http'
import { bodyParser } from '@koa/bodyparser'
import Koa3 from 'koa'
import Koa2 from 'koa2'
import { afterEach, describe, expect, it } from 'vitest'
import { SessionRequiredError } from 'oidc-session'
import { authenticate, oidcRouter, protect } from 'oidc-session/koa'
import {
  FORM,
  JSON_API,
  REFRESHED,
  closing,
  listening,
  send,
  standIn,
  type Seen,
} from './support.js'

let server: Server | undefined
afterEach(() => closing(server))

const serve = (app: { silent: boolean; callback(): RequestListener }) => {
  app.silent = true
  return listening((server = createServer(app.callback())))
}

describe.each([
  ['Koa 3', Koa3],
  ['Koa 2', Koa2 as unknown as typeof Koa3],
])('%s', (_name, Koa) => {
  it('serves the auth routes; a 302 without body stays exactly that', async () => {
    const s = await serve(new Koa().use(oidcRouter(standIn())).use((ctx) => (ctx.body = 'app')))
    const login = await send(s, '/login?returnTo=/x')
    expect(login.status).toBe(302)
    expect(login.body).toBe('')
    expect(login.headers['content-type']).toBeUndefined()
    expect(login.headers.location).toBe('https://idp.example/auth')
    expect(login.setCookie).toEqual(['tx=1; Path=/; HttpOnly'])
    const head = await send(s, '/login', { method: 'HEAD' })
    expect([head.status, head.body]).toEqual([302, ''])
    const post = await send(s, '/backchannel-logout', {
      method: 'POST',
      headers: FORM,
      body: 'logout_token=abc',
    })
    expect(JSON.parse(post.body) as Seen).toMatchObject({
      form: { logout_token: 'abc' },
      web: true,
    })
    expect(post.setCookie).toEqual(['tx=; Path=/; Max-Age=0', 'other=; Path=/; Max-Age=0'])
    expect((await send(s, '/elsewhere')).body).toBe('app')
  })

  it('takes the body @koa/bodyparser already read', async () => {
    const s = await serve(new Koa().use(bodyParser()).use(oidcRouter(standIn())))
    const post = await send(s, '/logout', { method: 'POST', headers: FORM, body: 'a=1&b=2' })
    expect(JSON.parse(post.body) as Seen).toMatchObject({ form: { a: '1', b: '2' }, web: false })
  })

  it('protect() answers without a session; with one, ctx.state.oidc and the refreshed cookies', async () => {
    const auth = standIn()
    const app = new Koa().use(oidcRouter(auth)).use(
      protect(auth, (ctx) => {
        if (ctx.path === '/fail') throw new Error('boom')
        ctx.set('Set-Cookie', 'mine=1; Path=/') // replaces the header…
        ctx.cookies.set('jar', '2', { httpOnly: false })
        ctx.body = `hello ${ctx.state.oidc.session.sub} (${ctx.state.oidc.reason})`
      }),
    )
    const s = await serve(app)
    const anonymous = await send(s, '/', { headers: JSON_API })
    expect([anonymous.status, JSON.parse(anonymous.body)]).toEqual([401, { error: 'unauthorized' }])
    const signedIn = await send(s, '/', { headers: { cookie: 'session=ok' } })
    expect(signedIn.body).toBe('hello alice (refreshed)')
    expect(signedIn.setCookie).toEqual(['mine=1; Path=/', 'jar=2; path=/', ...REFRESHED]) // …kept
    // Koa clears every header on an error answer; the refreshed session must still reach the browser.
    const failed = await send(s, '/fail', { headers: { cookie: 'session=ok' } })
    expect(failed.status).toBe(500)
    expect(failed.setCookie).toEqual(REFRESHED)
  })

  it('authenticate() continues either way; a library error downstream becomes its answer', async () => {
    const auth = standIn()
    const app = new Koa().use(oidcRouter(auth)).use(
      authenticate(auth, (ctx) => {
        if (ctx.path === '/library') throw new SessionRequiredError('none')
        ctx.body = ctx.state.oidc.ok ? `hi ${ctx.state.oidc.session.sub}` : 'guest'
      }),
    )
    const s = await serve(app)
    expect((await send(s, '/')).body).toBe('guest')
    const signedIn = await send(s, '/', { headers: { cookie: 'session=ok' } })
    expect([signedIn.body, signedIn.setCookie]).toEqual(['hi alice', REFRESHED])
    const library = await send(s, '/library', { headers: JSON_API })
    expect([library.status, JSON.parse(library.body)]).toEqual([
      401,
      { code: 'ERR_SESSION_REQUIRED' },
    ])
  })
})
