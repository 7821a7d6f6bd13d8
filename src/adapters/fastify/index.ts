/**
 * Fastify (4 and 5) adapter (`oidc-session/fastify`): a plugin serving the auth routes through
 * `auth.handler()` — with its own form parsing, so that `POST /logout` and
 * `POST /backchannel-logout` never get a 415 — a `request.oidc` decorator, and `protect` /
 * `authenticate` as preHandlers or route-handler wrappers. It imports no Fastify code at run time:
 * the plugin carries the metadata `fastify-plugin` would add (not encapsulated, Fastify 4.x or
 * 5.x), so it needs no dependency.
 *
 * @module oidc-session/fastify
 */
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
  preHandlerAsyncHookHandler,
} from 'fastify'
import { OidcSessionError } from '../../errors.js'
import { MAX_FORM_BYTES } from '../../request/form.js'
import type { OidcSession, ProtectOptions } from '../../session/types.js'
import { toContext, type OidcContext, type ProtectedOidcContext } from '../context.js'
import { fromNodeRequest } from '../node/index.js'

export type { OidcContext, ProtectedOidcContext }

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by the `protect` and `authenticate` preHandlers of `oidc-session/fastify` (`null`
     * before). In a handler wrapped by `protect(auth, handler)` it is typed with the session.
     */
    oidc: OidcContext | null
  }
}

/** Options of {@link oidcPlugin}. */
export interface OidcPluginOptions {
  /** From `createOidcSession`. */
  auth: OidcSession
}

/** A Fastify request after `protect()`: `request.oidc.session` is there. */
export type ProtectedRequest<RouteGeneric extends RouteGenericInterface = RouteGenericInterface> =
  FastifyRequest<RouteGeneric> & { oidc: ProtectedOidcContext }

/** A Fastify request after `authenticate()`: `request.oidc` is there (with or without a session). */
export type AuthenticatedRequest<
  RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
> = FastifyRequest<RouteGeneric> & { oidc: OidcContext }

/** A route handler run by `protect(auth, handler)`. */
export type ProtectedHandler<RouteGeneric extends RouteGenericInterface = RouteGenericInterface> = (
  this: FastifyInstance,
  request: ProtectedRequest<RouteGeneric>,
  reply: FastifyReply<RouteGeneric>,
) => unknown

/** A route handler run by `authenticate(auth, handler)`. */
export type AuthenticatedHandler<
  RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
> = (
  this: FastifyInstance,
  request: AuthenticatedRequest<RouteGeneric>,
  reply: FastifyReply<RouteGeneric>,
) => unknown

/** The route handler `protect(auth, handler)` returns, typed for the handler's route generic. */
export type RouteHandler<RouteGeneric extends RouteGenericInterface = RouteGenericInterface> =
  RouteHandlerMethod<
    RawServerDefault,
    RawRequestDefaultExpression,
    RawReplyDefaultExpression,
    RouteGeneric
  >

const FORM = 'application/x-www-form-urlencoded'

/** Append `Set-Cookie` lines to the reply (Fastify keeps each as its own line). */
function forward(reply: FastifyReply, headers: Headers): void {
  for (const line of headers.getSetCookie()) reply.header('set-cookie', line)
}

async function plugin(fastify: FastifyInstance, options: OidcPluginOptions): Promise<void> {
  const { auth } = options
  if (typeof auth?.handler !== 'function')
    throw Object.assign(new TypeError('oidcPlugin needs { auth } from createOidcSession'), {
      code: 'ERR_INVALID_ARG_TYPE',
    })
  fastify.decorateRequest('oidc', null)
  // The routes live in their own encapsulated context, so their body parsers reach no other route.
  await fastify.register(async (routes) => {
    const parse = { parseAs: 'string' as const, bodyLimit: MAX_FORM_BYTES }
    const keep = (
      _request: FastifyRequest,
      body: string | Buffer,
      done: (e: null, b: string) => void,
    ) => done(null, String(body))
    if (!routes.hasContentTypeParser(FORM)) routes.addContentTypeParser(FORM, parse, keep)
    if (!routes.hasContentTypeParser('*')) routes.addContentTypeParser('*', parse, keep)
    for (const url of new Set(Object.values(auth.routes))) {
      routes.route({
        method: ['GET', 'HEAD', 'POST'],
        url,
        exposeHeadRoute: false,
        handler: async (request, reply) => {
          const body = request.body as string | Record<string, unknown> | undefined
          const response = await auth.handler({
            ...fromNodeRequest(request.raw),
            ...(body !== undefined && body !== null ? { body } : {}),
          })
          return reply.send(response ?? new Response(null, { status: 404 }))
        },
      })
    }
  })
}

/**
 * The Fastify plugin: registers the auth routes of `auth.routes` (`GET|HEAD /login`,
 * `GET|POST /callback`, `GET|POST /logout`, `POST /backchannel-logout` by default, served by
 * `auth.handler()`), their form parsing (any body up to 64 KiB, so no app gets a `415`; an
 * `application/x-www-form-urlencoded` parser you registered before, such as `@fastify/formbody`,
 * is used instead), and the `request.oidc` decorator (`null` until `protect`/`authenticate`).
 *
 * @example
 * ```ts
 * await app.register(oidcPlugin, { auth })
 * app.get('/api/me', protect(auth, (request) => ({ sub: request.oidc.session.sub })))
 * ```
 */
export const oidcPlugin: FastifyPluginAsync<OidcPluginOptions> = Object.assign(plugin, {
  // What fastify-plugin sets: shared with the parent context (the decorator reaches the app's
  // routes), a display name, and the supported Fastify versions (checked at registration).
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'oidc-session',
  [Symbol.for('plugin-meta')]: { fastify: '4.x || 5.x', name: 'oidc-session' },
})

function protectHook(auth: OidcSession, options?: ProtectOptions): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const result = await auth.protect(fromNodeRequest(request.raw), options)
    if (!result.ok) return reply.send(result.response)
    forward(reply, result.headers)
    request.oidc = toContext(result)
  }
}

function authenticateHook(auth: OidcSession): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const result = await auth.authenticate(fromNodeRequest(request.raw))
    forward(reply, result.headers)
    request.oidc = toContext(result)
  }
}

/** Run `hook`, then `handler` unless the hook answered; a library error becomes its answer. */
function wrap(
  auth: OidcSession,
  hook: preHandlerAsyncHookHandler,
  handler: (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown,
): RouteHandlerMethod {
  return async function (this: FastifyInstance, request, reply) {
    await hook.call(this, request, reply)
    if (reply.sent) return reply
    try {
      return await handler.call(this, request, reply)
    } catch (error) {
      if (!(error instanceof OidcSessionError) || reply.sent) throw error
      return reply.send(auth.errorResponse(fromNodeRequest(request.raw), error))
    }
  }
}

/**
 * Protect a route: continue with the session in `request.oidc`, or answer for it — 401 JSON to
 * API calls, 302 to login for navigations, 503 when the provider or store is down. Refreshed-
 * session cookies are added to the reply.
 *
 * - `protect(auth)`: a preHandler (`{ preHandler: protect(auth) }`, or `addHook('preHandler', …)`
 *   for a whole encapsulated context); `request.oidc` is then typed `OidcContext | null`.
 * - `protect(auth, { acr, maxAge, claims })`: the same preHandler with step-up (see
 *   `OidcSession.protect`): a session whose authentication falls short gets `401` with
 *   `WWW-Authenticate: Bearer error="insufficient_user_authentication"` (API call) or `302` to a
 *   login asking for `acr_values` / `max_age` (navigation).
 * - `protect(auth, handler, options?)`: a route handler whose `request.oidc.session` is typed as
 *   present; an `OidcSessionError` it throws (such as `auth.userinfo()` failing) becomes its
 *   answer.
 *
 * @param auth from `createOidcSession`
 * @param options what the session's authentication must satisfy (step-up, RFC 9470)
 * @returns the preHandler
 * @example
 * ```ts
 * app.get('/orders', { preHandler: protect(auth) }, listOrders) // request.oidc set
 * app.get('/admin', { preHandler: protect(auth, { acr: ['urn:example:mfa'] }) }, showAdmin)
 * ```
 */
export function protect(auth: OidcSession, options?: ProtectOptions): preHandlerAsyncHookHandler
/**
 * Protect a route: continue with the session in `request.oidc`, or answer for it — 401 JSON to
 * API calls, 302 to login for navigations, 503 when the provider or store is down. Refreshed-
 * session cookies are added to the reply.
 *
 * - `protect(auth, handler)`: a route handler whose `request.oidc.session` is typed as present; an
 *   `OidcSessionError` it throws (such as `auth.userinfo()` failing) becomes its answer.
 * - `protect(auth, handler, { acr, maxAge, claims })`: step-up (see `OidcSession.protect`).
 *
 * @param auth from `createOidcSession`
 * @param handler the route handler to run with the session
 * @param options what the session's authentication must satisfy (step-up, RFC 9470)
 * @returns the route handler
 * @example
 * ```ts
 * app.get('/api/me', protect(auth, (request) => ({ sub: request.oidc.session.sub })))
 * app.get('/api/admin', protect(auth, async () => ({ ok: true }), { acr: ['urn:example:mfa'] }))
 * ```
 */
export function protect<RouteGeneric extends RouteGenericInterface = RouteGenericInterface>(
  auth: OidcSession,
  handler: ProtectedHandler<RouteGeneric>,
  options?: ProtectOptions,
): RouteHandler<RouteGeneric>
export function protect(
  auth: OidcSession,
  handlerOrOptions?: ProtectedHandler | ProtectOptions,
  stepUp?: ProtectOptions,
): preHandlerAsyncHookHandler | RouteHandlerMethod {
  if (typeof handlerOrOptions === 'function')
    return wrap(auth, protectHook(auth, stepUp), handlerOrOptions as never)
  return protectHook(auth, handlerOrOptions)
}

/**
 * Login optional: load the session (refreshing it when due) into `request.oidc` and continue
 * either way; refreshed-session cookies are added to the reply.
 *
 * - `authenticate(auth)`: a preHandler.
 * - `authenticate(auth, handler)`: a route handler whose `request.oidc` is typed as present.
 *
 * @param auth from `createOidcSession`
 * @returns the preHandler
 * @example
 * ```ts
 * app.get('/', authenticate(auth, (request) => (request.oidc.ok ? request.oidc.session.sub : 'guest')))
 * ```
 */
export function authenticate(auth: OidcSession): preHandlerAsyncHookHandler
/**
 * Login optional: load the session (refreshing it when due) into `request.oidc` and continue
 * either way; refreshed-session cookies are added to the reply.
 *
 * - `authenticate(auth)`: a preHandler.
 * - `authenticate(auth, handler)`: a route handler whose `request.oidc` is typed as present.
 *
 * @param auth from `createOidcSession`
 * @param handler the route handler to run
 * @returns the route handler
 * @example
 * ```ts
 * app.get('/', authenticate(auth, (request) => (request.oidc.ok ? request.oidc.session.sub : 'guest')))
 * ```
 */
export function authenticate<RouteGeneric extends RouteGenericInterface = RouteGenericInterface>(
  auth: OidcSession,
  handler: AuthenticatedHandler<RouteGeneric>,
): RouteHandler<RouteGeneric>
export function authenticate(
  auth: OidcSession,
  handler?: AuthenticatedHandler,
): preHandlerAsyncHookHandler | RouteHandlerMethod {
  const hook = authenticateHook(auth)
  return handler ? wrap(auth, hook, handler as never) : hook
}

export { fromNodeRequest }
export default oidcPlugin
