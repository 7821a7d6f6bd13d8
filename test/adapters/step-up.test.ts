/**
 * Step-up (RFC 9470) through every adapter, against the real provider, which raises `acr` for a
 * login with the strong password: each adapter's `protect` — middleware / preHandler form and
 * handler form, node's function, Next's proxy per matched path — passes `{ acr }` on, so a session
 * with too weak an `acr` gets 401 `insufficient_user_authentication` with `acr_values` for an API
 * call and a 302 to login with `acr_values` for a navigation, while a strong-enough session passes
 * (and the weak one still passes the routes that ask for nothing).
 */
import { createServer, type Server } from 'node:http'
import express from 'express'
import fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { NextRequest } from 'next/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OidcSession, ProtectOptions } from 'oidc-session'
import * as forExpress from 'oidc-session/express'
import * as forFastify from 'oidc-session/fastify'
import * as forHono from 'oidc-session/hono'
import * as forKoa from 'oidc-session/koa'
import { oidcProxy } from 'oidc-session/next'
import * as forNode from 'oidc-session/node'
import { Agent } from '../fixtures/agent.js'
import { startAppBed, type AppBed } from '../fixtures/app-bed.js'
import { NAVIGATION_HEADERS } from '../fixtures/navigate.js'
import { startProvider, type TestProvider } from '../fixtures/provider.js'
import { closing, listening, send } from './support.js'

const BASIC = 'urn:oidc-session:basic'
const MFA = 'urn:oidc-session:mfa'
const STRONG = 'otp-123456'
const STEP_UP: ProtectOptions = { acr: [MFA] }

const API = {
  accept: 'application/json',
  'sec-fetch-mode': 'cors',
  'sec-fetch-site': 'same-origin',
}
const NAV: Record<string, string> = { ...NAVIGATION_HEADERS }

/** An answer, whatever the stack. */
interface Answer {
  status: number
  header(name: string): string | undefined
  body: string
}

/** An app under test: `/plain` (protect, no options), `/mw` and `/handler` (step-up). */
interface Target {
  fetch(path: string, headers: Record<string, string>): Promise<Answer>
  close(): Promise<void>
}

const json = (sub: string) => JSON.stringify({ sub })

async function overHttp(listener: Parameters<typeof createServer>[1]): Promise<Target> {
  const server: Server = await listening(createServer(listener))
  return {
    async fetch(path, headers) {
      const answer = await send(server, path, { headers })
      return {
        status: answer.status,
        header: (name) => [answer.headers[name] ?? []].flat().join(', ') || undefined,
        body: answer.body,
      }
    },
    close: () => closing(server),
  }
}

const fromResponse = async (response: Response): Promise<Answer> => ({
  status: response.status,
  header: (name) => response.headers.get(name) ?? undefined,
  body: await response.text(),
})

const stacks: [string, (auth: OidcSession) => Promise<Target>, string[]][] = [
  [
    'express',
    (auth) => {
      const app = express()
      app.get('/plain', forExpress.protect(auth), (req, res) =>
        res.send(json(req.oidc!.session!.sub)),
      )
      app.get('/mw', forExpress.protect(auth, STEP_UP), (req, res) =>
        res.send(json(req.oidc!.session!.sub)),
      )
      app.get(
        '/handler',
        forExpress.protect(auth, (req, res) => res.send(json(req.oidc.session.sub)), STEP_UP),
      )
      return overHttp(app)
    },
    ['/mw', '/handler'],
  ],
  [
    'koa',
    (auth) => {
      const routes: Record<string, Koa.Middleware> = {
        '/plain': forKoa.protect(auth, (ctx) => void (ctx.body = json(ctx.state.oidc.session.sub))),
        '/mw': (ctx, next) =>
          forKoa.protect(auth, STEP_UP)(ctx, async () => {
            ctx.body = json((ctx.state as forKoa.ProtectedState).oidc.session.sub)
            await next()
          }),
        '/handler': forKoa.protect(
          auth,
          (ctx) => void (ctx.body = json(ctx.state.oidc.session.sub)),
          STEP_UP,
        ),
      }
      const app = new Koa<object>()
      app.silent = true
      app.use((ctx, next) => routes[ctx.path]?.(ctx, next) ?? next())
      const listener = app.callback()
      return overHttp((req, res) => void listener(req, res))
    },
    ['/mw', '/handler'],
  ],
  [
    'fastify',
    async (auth) => {
      const app = fastify()
      await app.register(forFastify.oidcPlugin, { auth })
      app.get(
        '/plain',
        forFastify.protect(auth, (request) => json(request.oidc.session.sub)),
      )
      app.get('/mw', { preHandler: forFastify.protect(auth, STEP_UP) }, (request) =>
        json(request.oidc!.session!.sub),
      )
      app.get(
        '/handler',
        forFastify.protect(auth, (request) => json(request.oidc.session.sub), STEP_UP),
      )
      await app.ready()
      return {
        async fetch(path, headers) {
          const reply = await app.inject({ method: 'GET', url: path, headers })
          return {
            status: reply.statusCode,
            header: (name) => [reply.headers[name] ?? []].flat().join(', ') || undefined,
            body: reply.body,
          }
        },
        close: () => app.close(),
      }
    },
    ['/mw', '/handler'],
  ],
  [
    'hono',
    async (auth) => {
      const app = new Hono()
        .get('/plain', forHono.protect(auth), (c) => c.body(json(c.get('oidc').session.sub)))
        .get('/mw', forHono.protect(auth, STEP_UP), (c) => c.body(json(c.get('oidc').session.sub)))
      return {
        fetch: async (path, headers) =>
          fromResponse(await app.request(`http://app.test${path}`, { headers })),
        close: async () => undefined,
      }
    },
    ['/mw'],
  ],
  [
    'node',
    (auth) =>
      overHttp(
        forNode.handler(auth, async (req, res) => {
          const options = req.url === '/mw' ? STEP_UP : undefined
          const oidc = await forNode.protect(auth, req, res, options)
          if (oidc) res.end(json(oidc.session.sub))
        }),
      ),
    ['/mw'],
  ],
  [
    'next proxy',
    async (auth) => {
      const proxy = oidcProxy(auth, {
        protect: (request) => (request.nextUrl.pathname === '/mw' ? STEP_UP : true),
      })
      return {
        async fetch(path, headers) {
          const response = await proxy(new NextRequest(`http://app.test${path}`, { headers }))
          // NextResponse.next(): the request goes on to its page, which would answer this.
          if (response.headers.get('x-middleware-next') === '1') {
            const sub = (await auth.authenticate({ url: path, method: 'GET', headers })).session
              ?.sub
            return { status: 200, header: () => undefined, body: json(String(sub)) }
          }
          return fromResponse(response)
        },
        close: async () => undefined,
      }
    },
    ['/mw'],
  ],
]

let provider: TestProvider
let bed: AppBed
let weak: string
let strong: string

beforeAll(async () => {
  provider = await startProvider({
    accessTokenTtl: 300,
    idTokenTtl: 300,
    acr: { values: [BASIC, MFA], strongPassword: STRONG },
  })
  bed = await startAppBed({ provider })
  weak = bed.cookieOf(await bed.login('weak-user'))
  const agent = new Agent()
  const { response } = await agent.login(
    `${bed.url}/login?returnTo=%2Fapi%2Fme&acr_values=${encodeURIComponent(MFA)}`,
    { username: 'strong-user', password: STRONG },
  )
  expect(response.status).toBe(200)
  strong = bed.cookieOf(agent)
  const [w, s] = await Promise.all([
    bed.auth.authenticate(bed.request(weak)),
    bed.auth.authenticate(bed.request(strong)),
  ])
  expect(w.ok && w.session.acr).toBe(BASIC)
  expect(s.ok && s.session.acr).toBe(MFA)
})

afterAll(async () => {
  await bed?.close()
  await provider?.close()
})

describe.each(stacks)('%s', (name, start, stepUpPaths) => {
  let target: Target
  beforeAll(async () => {
    target = await start(bed.auth)
  })
  afterAll(() => target?.close())

  it('a weak session still passes protect() without options', async () => {
    const answer = await target.fetch('/plain', { ...API, cookie: weak })
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ sub: 'weak-user' })
  })

  it.each(stepUpPaths)(
    '%s: an API call with too weak an acr gets 401 insufficient_user_authentication',
    async (path) => {
      const answer = await target.fetch(path, { ...API, cookie: weak })
      expect(answer.status).toBe(401)
      const challenge = answer.header('www-authenticate') ?? ''
      expect(challenge).toMatch(/^Bearer error="insufficient_user_authentication"/)
      expect(challenge).toContain(`acr_values="${MFA}"`)
      expect(JSON.parse(answer.body)).toMatchObject({
        error: 'insufficient_user_authentication',
        acr_values: MFA,
      })
    },
  )

  it.each(stepUpPaths)(
    '%s: a navigation with too weak an acr goes to login with acr_values',
    async (path) => {
      const answer = await target.fetch(path, { ...NAV, cookie: weak })
      expect(answer.status).toBe(302)
      // Next.js refuses a relative Location from a proxy.
      if (name === 'next proxy') expect(answer.header('location')).toMatch(/^http:\/\//)
      const location = new URL(answer.header('location') ?? '', 'http://app.test')
      expect(location.pathname).toBe('/login')
      expect(location.searchParams.get('acr_values')).toBe(MFA)
      expect(location.searchParams.get('returnTo')).toBe(path)
    },
  )

  it.each(stepUpPaths)('%s: a strong-enough session passes', async (path) => {
    const answer = await target.fetch(path, { ...API, cookie: strong })
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ sub: 'strong-user' })
  })
})
