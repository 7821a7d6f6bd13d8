/**
 * oidc-session/fastify on Fastify 5 and Fastify 4: the plugin's routes parse their own bodies (no
 * 415 for POST /logout or /backchannel-logout, whatever the content type) without touching the
 * app's other routes, and use @fastify/formbody when the app registered it; request.oidc is a
 * decorator; protect/authenticate work as preHandlers and as handler wrappers, keeping the
 * refreshed Set-Cookie lines next to the route's own.
 */
import formbody from '@fastify/formbody'
import fastify5 from 'fastify'
import fastify4 from 'fastify4'
import { describe, expect, it } from 'vitest'
import { SessionRequiredError } from 'oidc-session'
import { authenticate, oidcPlugin, protect } from 'oidc-session/fastify'
import { FORM, JSON_API, REFRESHED, standIn, type Seen } from './support.js'

describe.each([
  ['Fastify 5', fastify5],
  ['Fastify 4', fastify4 as unknown as typeof fastify5],
])('%s', (_name, Fastify) => {
  it('serves the auth routes with their own body parsing: no 415, and the app’s routes untouched', async () => {
    const app = Fastify()
    await app.register(oidcPlugin, { auth: standIn() })
    app.post('/elsewhere', async () => 'app')
    const cases: [Record<string, string>, string, Record<string, string> | null][] = [
      [FORM, 'logout_token=abc', { logout_token: 'abc' }],
      [{ 'content-type': 'text/plain' }, 'x=1', { x: '1' }],
      [{ 'content-type': 'multipart/form-data; boundary=x' }, '--x--', { '--x--': '' }],
      [{}, '', null],
    ]
    for (const [headers, payload, form] of cases) {
      const post = await app.inject({
        method: 'POST',
        url: '/backchannel-logout',
        headers,
        payload,
      })
      expect(post.statusCode).toBe(200)
      expect(JSON.parse(post.body) as Seen).toMatchObject({ form, web: false })
    }
    const logout = await app.inject({
      method: 'POST',
      url: '/logout',
      headers: FORM,
      payload: 'a=1',
    })
    expect(logout.statusCode).toBe(200)
    expect(logout.headers['set-cookie']).toEqual([
      'tx=; Path=/; Max-Age=0',
      'other=; Path=/; Max-Age=0',
    ])
    // The plugin's parsers stay inside it: the app's own route still refuses a form it cannot read.
    const elsewhere = await app.inject({
      method: 'POST',
      url: '/elsewhere',
      headers: FORM,
      payload: 'a=1',
    })
    expect(elsewhere.statusCode).toBe(415)
    const login = await app.inject({ method: 'GET', url: '/login?returnTo=/x' })
    expect([login.statusCode, login.body, login.headers.location]).toEqual([
      302,
      '',
      'https://idp.example/auth',
    ])
    expect((await app.inject({ method: 'HEAD', url: '/login' })).statusCode).toBe(302)
    await app.close()
  })

  it('protect() as a preHandler and as a wrapper; request.oidc is null until then', async () => {
    const auth = standIn()
    const app = Fastify()
    await app.register(oidcPlugin, { auth })
    app.get('/open', async (request) => ({ oidc: request.oidc }))
    app.get('/hook', { preHandler: protect(auth) }, async (request, reply) => {
      reply.header('set-cookie', 'mine=1; Path=/')
      return { sub: request.oidc?.ok ? request.oidc.session.sub : null }
    })
    app.get(
      '/wrapped',
      protect(auth, async (request, reply) => {
        reply.header('set-cookie', 'mine=2; Path=/')
        return { sub: request.oidc.session.sub, reason: request.oidc.reason }
      }),
    )
    expect(JSON.parse((await app.inject('/open')).body)).toEqual({ oidc: null })
    for (const url of ['/hook', '/wrapped']) {
      const anonymous = await app.inject({ url, headers: JSON_API })
      expect([anonymous.statusCode, JSON.parse(anonymous.body)]).toEqual([
        401,
        { error: 'unauthorized' },
      ])
    }
    const hook = await app.inject({ url: '/hook', headers: { cookie: 'session=ok' } })
    expect(JSON.parse(hook.body)).toEqual({ sub: 'alice' })
    expect(hook.headers['set-cookie']).toEqual([...REFRESHED, 'mine=1; Path=/'])
    const wrapped = await app.inject({ url: '/wrapped', headers: { cookie: 'session=ok' } })
    expect(JSON.parse(wrapped.body)).toEqual({ sub: 'alice', reason: 'refreshed' })
    expect(wrapped.headers['set-cookie']).toEqual([...REFRESHED, 'mine=2; Path=/'])
    await app.close()
  })

  it('authenticate() continues either way; a library error of a wrapped handler becomes its answer', async () => {
    const auth = standIn()
    const app = Fastify()
    await app.register(oidcPlugin, { auth })
    app.get(
      '/',
      authenticate(auth, async (request) =>
        request.oidc.ok ? `hi ${request.oidc.session.sub}` : 'guest',
      ),
    )
    app.get(
      '/library',
      protect(auth, async () => {
        throw new SessionRequiredError('refresh-rejected')
      }),
    )
    expect((await app.inject('/')).body).toBe('guest')
    const signedIn = await app.inject({ url: '/', headers: { cookie: 'session=ok' } })
    expect([signedIn.body, signedIn.headers['set-cookie']]).toEqual(['hi alice', REFRESHED])
    const library = await app.inject({
      url: '/library',
      headers: { ...JSON_API, cookie: 'session=ok' },
    })
    expect([library.statusCode, JSON.parse(library.body)]).toEqual([
      401,
      { code: 'ERR_SESSION_REQUIRED' },
    ])
    await app.close()
  })
})

describe('Fastify 5 with @fastify/formbody', () => {
  it('uses the app’s form parser for the auth routes (registered first), without a conflict', async () => {
    const app = fastify5()
    await app.register(formbody)
    await app.register(oidcPlugin, { auth: standIn() })
    app.post('/elsewhere', async (request) => request.body)
    const post = await app.inject({
      method: 'POST',
      url: '/logout',
      headers: FORM,
      payload: 'a=1&b=2',
    })
    expect(JSON.parse(post.body) as Seen).toMatchObject({ form: { a: '1', b: '2' }, web: false })
    const elsewhere = await app.inject({
      method: 'POST',
      url: '/elsewhere',
      headers: FORM,
      payload: 'c=3',
    })
    expect(JSON.parse(elsewhere.body)).toEqual({ c: '3' })
    await app.close()
  })

  it('refuses to register without { auth }', async () => {
    const app = fastify5()
    await expect(app.register(oidcPlugin, {} as never)).rejects.toThrow(/needs \{ auth \}/)
  })
})
