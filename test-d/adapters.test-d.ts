/**
 * Type tests (checked by `tsc`, never run): after `protect`, every adapter types the session as
 * present — `req.oidc`, `ctx.state.oidc`, `request.oidc`, `c.get('oidc')` — with no `!`; without it
 * the types say the session may be missing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { expectTypeOf } from 'expect-type'
import express, { type RequestHandler } from 'express'
import Fastify, { type preHandlerAsyncHookHandler } from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import type {
  AuthFailureReason,
  AuthSuccessReason,
  OidcSession,
  ProtectOptions,
  Session,
  StepUpFailureReason,
} from 'oidc-session'
import * as forExpress from 'oidc-session/express'
import * as forFastify from 'oidc-session/fastify'
import * as forHono from 'oidc-session/hono'
import * as forKoa from 'oidc-session/koa'
import * as forNext from 'oidc-session/next'
import * as forNode from 'oidc-session/node'
import type { OidcContext, ProtectedOidcContext } from 'oidc-session/node'

declare const auth: OidcSession

// The two contexts.
expectTypeOf<ProtectedOidcContext['session']>().toEqualTypeOf<Session>()
expectTypeOf<ProtectedOidcContext['reason']>().toEqualTypeOf<AuthSuccessReason>()
expectTypeOf<Extract<OidcContext, { ok: false }>['session']>().toEqualTypeOf<null>()
expectTypeOf<Extract<OidcContext, { ok: false }>['reason']>().toEqualTypeOf<
  AuthFailureReason | StepUpFailureReason
>()
expectTypeOf<OidcContext>().not.toHaveProperty('headers')

// Express: protect(auth, handler) narrows req.oidc; route parameters are given as a type argument.
const app = express()
app.get(
  '/',
  forExpress.protect(auth, (req) => {
    expectTypeOf(req.oidc.session).toEqualTypeOf<Session>()
    expectTypeOf(req.oidc.session.sub).toEqualTypeOf<string>()
  }),
)
app.get(
  '/users/:id',
  forExpress.protect<{ id: string }>(auth, (req) => {
    expectTypeOf(req.params.id).toEqualTypeOf<string>()
    expectTypeOf(req.oidc.session).toEqualTypeOf<Session>()
  }),
)
app.get(
  '/optional',
  forExpress.authenticate(auth, (req) => {
    expectTypeOf(req.oidc).toEqualTypeOf<OidcContext>()
    if (req.oidc.ok) expectTypeOf(req.oidc.session).toEqualTypeOf<Session>()
    else expectTypeOf(req.oidc.session).toEqualTypeOf<null>()
  }),
)
app.get('/middleware', forExpress.protect(auth), (req) => {
  expectTypeOf(req.oidc).toEqualTypeOf<OidcContext | undefined>()
  // @ts-expect-error — as plain middleware, protect() cannot narrow the next handler's req
  void req.oidc.session
})

// Koa: ctx.state.oidc.
new Koa().use(
  forKoa.protect(auth, (ctx) => {
    expectTypeOf(ctx.state.oidc.session).toEqualTypeOf<Session>()
  }),
)
new Koa().use(
  forKoa.authenticate(auth, (ctx) => {
    expectTypeOf(ctx.state.oidc).toEqualTypeOf<OidcContext>()
  }),
)
new Koa<object>().use(forKoa.protect(auth)).use((ctx) => {
  expectTypeOf(ctx.state.oidc.session).toEqualTypeOf<Session>()
})
new Koa<object>().use((ctx) => {
  // @ts-expect-error — without protect() the state has no oidc
  void ctx.state.oidc
})

// Fastify: request.oidc.
const fastify = Fastify()
fastify.get(
  '/',
  forFastify.protect(auth, async (request) => {
    expectTypeOf(request.oidc.session).toEqualTypeOf<Session>()
    return request.oidc.session.sub
  }),
)
fastify.get<{ Params: { id: string } }>(
  '/users/:id',
  forFastify.protect(auth, async (request) => {
    expectTypeOf(request.params.id).toEqualTypeOf<string>()
    return request.params.id
  }),
)
fastify.get('/hooked', { preHandler: forFastify.protect(auth) }, async (request) => {
  expectTypeOf(request.oidc).toEqualTypeOf<OidcContext | null>()
  // @ts-expect-error — a preHandler cannot narrow the handler's request
  return request.oidc.session
})
void fastify.register(forFastify.oidcPlugin, { auth })
// @ts-expect-error — the plugin needs { auth }
void fastify.register(forFastify.oidcPlugin, {})

// Hono: c.get('oidc') through Variables.
new Hono().get('/', forHono.protect(auth), (c) => {
  expectTypeOf(c.get('oidc').session).toEqualTypeOf<Session>()
  return c.text(c.get('oidc').session.sub)
})
new Hono().get('/optional', forHono.authenticate(auth), (c) => {
  expectTypeOf(c.get('oidc')).toEqualTypeOf<OidcContext>()
  return c.text('')
})
new Hono().get('/', (c) => {
  // @ts-expect-error — without the middleware there is no 'oidc' variable
  return c.text(c.get('oidc').session.sub)
})

// node:http: protect() gives the context, or undefined when it has answered.
declare const req: IncomingMessage
declare const res: ServerResponse
expectTypeOf(forNode.protect(auth, req, res)).resolves.toEqualTypeOf<
  ProtectedOidcContext | undefined
>()
expectTypeOf(forNode.authenticate(auth, req, res)).resolves.toEqualTypeOf<OidcContext>()
expectTypeOf(forNode.handler(auth)).toEqualTypeOf<
  (req: IncomingMessage, res: ServerResponse) => void
>()

// Step-up: every protect() takes { acr, maxAge, claims } — in both call forms where there are two.
const stepUp = { acr: ['urn:example:mfa'], maxAge: 300 } satisfies ProtectOptions
app.get('/admin', forExpress.protect(auth, stepUp), (req) => {
  expectTypeOf(req.oidc).toEqualTypeOf<OidcContext | undefined>()
})
app.get(
  '/admin/:id',
  forExpress.protect<{ id: string }>(
    auth,
    (req) => {
      expectTypeOf(req.params.id).toEqualTypeOf<string>()
      expectTypeOf(req.oidc.session).toEqualTypeOf<Session>()
    },
    { acr: 'urn:example:mfa', claims: (claims) => claims.admin === true },
  ),
)
expectTypeOf(forExpress.protect(auth, stepUp)).toEqualTypeOf<RequestHandler>()
// @ts-expect-error — acr is a string or a list of strings
forExpress.protect(auth, { acr: 2 })
// @ts-expect-error — options come last, after the handler
forExpress.protect(auth, stepUp, () => undefined)

new Koa<object>().use(forKoa.protect(auth, stepUp)).use((ctx) => {
  expectTypeOf(ctx.state.oidc.session).toEqualTypeOf<Session>()
})
new Koa().use(
  forKoa.protect(
    auth,
    (ctx) => {
      expectTypeOf(ctx.state.oidc.session).toEqualTypeOf<Session>()
    },
    stepUp,
  ),
)
// @ts-expect-error — maxAge is a number of seconds
forKoa.protect(auth, { maxAge: '5m' })

fastify.get('/admin', { preHandler: forFastify.protect(auth, stepUp) }, async (request) => {
  expectTypeOf(request.oidc).toEqualTypeOf<OidcContext | null>()
  return ''
})
fastify.get<{ Params: { id: string } }>(
  '/admin/:id',
  forFastify.protect(
    auth,
    async (request) => {
      expectTypeOf(request.params.id).toEqualTypeOf<string>()
      expectTypeOf(request.oidc.session).toEqualTypeOf<Session>()
      return request.params.id
    },
    stepUp,
  ),
)
expectTypeOf(forFastify.protect(auth, stepUp)).toEqualTypeOf<preHandlerAsyncHookHandler>()

new Hono().get('/admin', forHono.protect(auth, stepUp), (c) => {
  expectTypeOf(c.get('oidc').session).toEqualTypeOf<Session>()
  return c.text(c.get('oidc').session.sub)
})
// @ts-expect-error — claims is a record or a predicate
forHono.protect(auth, { claims: 'admin' })

expectTypeOf(forNode.protect(auth, req, res, stepUp)).resolves.toEqualTypeOf<
  ProtectedOidcContext | undefined
>()

// Next: the proxy's protect() answers per request: false, true, or the step-up options.
forNext.oidcProxy(auth, {
  protect: (request) => (request.nextUrl.pathname.startsWith('/admin') ? stepUp : true),
})
expectTypeOf<ReturnType<NonNullable<forNext.ProxyOptions['protect']>>>().toEqualTypeOf<
  boolean | ProtectOptions
>()
// @ts-expect-error — a string is neither a decision nor options
forNext.oidcProxy(auth, { protect: () => 'yes' })
