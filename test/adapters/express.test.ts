/**
 * oidc-session/express on Express 5 and Express 4: the auth routes read a form body themselves or
 * take the one a body parser left; protect()/authenticate() answer for a missing session, put the
 * session on req.oidc and keep the refreshed Set-Cookie lines whatever the route sends; library
 * errors thrown by a protected handler (async, on Express 4 too) become their answer.
 */
import { createServer, type RequestListener, type Server } from 'node:http'
import express5 from 'express'
import express4 from 'express4'
import { afterEach, describe, expect, it } from 'vitest'
import { SessionRequiredError } from 'oidc-session'
import { authenticate, oidcRouter, protect } from 'oidc-session/express'
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

const serve = (app: RequestListener) => listening((server = createServer(app)))

describe.each([
  ['Express 5', express5],
  ['Express 4', express4 as unknown as typeof express5],
])('%s', (_name, express) => {
  it('serves the auth routes, reading a form body itself when no parser ran', async () => {
    const app = express().use(oidcRouter(standIn()))
    app.post('/elsewhere', (_req, res) => res.send('app'))
    const s = await serve(app)
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
    expect((await send(s, '/elsewhere', { method: 'POST' })).body).toBe('app')
    const login = await send(s, '/login')
    expect([login.status, login.body, login.setCookie]).toEqual([
      302,
      '',
      ['tx=1; Path=/; HttpOnly'],
    ])
  })

  it('takes the body express.urlencoded() already parsed, and skips parsers that did not', async () => {
    const parsed = await serve(
      express()
        .use(express.urlencoded({ extended: false }))
        .use(oidcRouter(standIn())),
    )
    const post = await send(parsed, '/logout', { method: 'POST', headers: FORM, body: 'a=1&b=2' })
    expect(JSON.parse(post.body) as Seen).toMatchObject({ form: { a: '1', b: '2' }, web: false })
    await closing(parsed)
    // A JSON parser leaves a form alone: the route still reads it.
    const skipped = await serve(express().use(express.json()).use(oidcRouter(standIn())))
    const again = await send(skipped, '/logout', { method: 'POST', headers: FORM, body: 'c=3' })
    expect(JSON.parse(again.body) as Seen).toMatchObject({ form: { c: '3' }, web: true })
  })

  it('protect() answers without a session; with one it keeps the refreshed cookies', async () => {
    const app = express()
    app.get('/mw', protect(standIn()), (req, res) => {
      res.cookie('app', '1')
      res.send(`mw ${req.oidc?.ok ? req.oidc.session.sub : '?'}`)
    })
    app.get(
      '/typed',
      protect(standIn(), (req, res) => {
        res.set('Set-Cookie', 'replaced=1; Path=/') // Express replaces the header here…
        res.send(`typed ${req.oidc.session.sub} ${req.oidc.reason}`)
      }),
    )
    const s = await serve(app)
    const anonymous = await send(s, '/typed', { headers: JSON_API })
    expect([anonymous.status, JSON.parse(anonymous.body)]).toEqual([401, { error: 'unauthorized' }])
    const mw = await send(s, '/mw', { headers: { cookie: 'session=ok' } })
    expect(mw.body).toBe('mw alice')
    expect(mw.setCookie).toEqual([...REFRESHED, 'app=1; Path=/'])
    const typed = await send(s, '/typed', { headers: { cookie: 'session=ok' } })
    expect(typed.body).toBe('typed alice refreshed')
    expect(typed.setCookie).toEqual(['replaced=1; Path=/', ...REFRESHED]) // …and they are kept
  })

  it('authenticate() continues either way', async () => {
    const app = express()
    app.get(
      '/',
      authenticate(standIn(), (req, res) => {
        res.send(req.oidc.ok ? `hi ${req.oidc.session.sub}` : `guest (${req.oidc.reason})`)
      }),
    )
    const s = await serve(app)
    expect((await send(s, '/')).body).toBe('guest (none)')
    const signedIn = await send(s, '/', { headers: { cookie: 'session=ok' } })
    expect([signedIn.body, signedIn.setCookie]).toEqual(['hi alice', REFRESHED])
  })

  it('turns a library error of an async protected handler into its answer, others to next()', async () => {
    const app = express()
    app.get(
      '/library',
      protect(standIn(), async () => {
        await Promise.resolve()
        throw new SessionRequiredError('refresh-rejected')
      }),
    )
    app.get(
      '/other',
      protect(standIn(), async () => {
        await Promise.resolve()
        throw new Error('boom')
      }),
    )
    app.use(
      (
        error: Error,
        _req: express5.Request,
        res: express5.Response,
        _next: express5.NextFunction,
      ) => void res.status(418).send(`handled ${error.message}`),
    )
    const s = await serve(app)
    const library = await send(s, '/library', { headers: { ...JSON_API, cookie: 'session=ok' } })
    expect([library.status, JSON.parse(library.body)]).toEqual([
      401,
      { code: 'ERR_SESSION_REQUIRED' },
    ])
    expect(library.setCookie).toEqual(REFRESHED)
    const other = await send(s, '/other', { headers: { cookie: 'session=ok' } })
    expect([other.status, other.body]).toEqual([418, 'handled boom'])
  })
})
