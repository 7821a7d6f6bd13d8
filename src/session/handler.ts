/**
 * `auth.handler(request)`: the one front door every adapter mounts — the auth routes on a Web
 * `Request`, `undefined` for anything else.
 *
 * @module
 */
import type { FormRequest } from '../request/form.js'
import { getMethod, getUrl } from '../request/headers.js'
import { json, type Responder } from '../request/responses.js'
import type { OidcRoutes, OidcSession, RequestOptions } from './types.js'

/**
 * Authorization parameters a user may pass on the login route's query (`/login?prompt=login`).
 * Everything else in the query is ignored: never an arbitrary passthrough to the provider.
 */
export const LOGIN_QUERY_PARAMS: readonly string[] = Object.freeze([
  'prompt',
  'login_hint',
  'acr_values',
  'max_age',
  'ui_locales',
  'claims_locales',
  'display',
  'screen_hint',
  'organization',
  'domain_hint',
])

/** The operations the handler dispatches to. */
type Operations = Pick<OidcSession, 'login' | 'callback' | 'logout' | 'backchannelLogout'>
type Run = (request: FormRequest, options: RequestOptions) => Promise<Response>

/**
 * Create the handler.
 *
 * | route | methods | does |
 * |---|---|---|
 * | `routes.login` | `GET`, `HEAD` | `login(request, { returnTo, reconsent, authorizationParams })` from the query (`reconsent=1`, allow-listed parameters only) |
 * | `routes.callback` | `GET`, `POST` (`response_mode=form_post`) | `callback(request)` |
 * | `routes.logout` | `GET`, `POST` | `logout(request)` |
 * | `routes.backchannelLogout` | `POST` | `backchannelLogout(request)` |
 *
 * Another method on one of these paths gets `405` with `Allow`. Any error becomes a response
 * through `responder.errorResponse`.
 *
 * @param operations the manager's operations
 * @param routes the resolved paths
 * @param origin the app origin (a path-only request URL is resolved against it)
 * @param responder turns errors into responses
 * @returns `handler(request)`
 * @example
 * ```ts
 * const handler = createHandler(auth, auth.routes, origin, responder)
 * const response = await handler(request) // undefined: not an auth route
 * ```
 */
export function createHandler(
  operations: Operations,
  routes: OidcRoutes,
  origin: string,
  responder: Responder,
): (request: FormRequest, options?: RequestOptions) => Promise<Response | undefined> {
  const table = new Map<string, { methods: string[]; run: Run }>([
    [
      routes.login,
      {
        methods: ['GET', 'HEAD'],
        run: (request) => {
          const query = getUrl(request, origin).searchParams
          const authorizationParams: Record<string, string> = {}
          for (const name of LOGIN_QUERY_PARAMS) {
            const value = query.get(name)
            if (value !== null && value !== '') authorizationParams[name] = value
          }
          const returnTo = query.get('returnTo')
          return operations.login(request, {
            ...(returnTo !== null ? { returnTo } : {}),
            ...(query.get('reconsent') === '1' ? { reconsent: true } : {}),
            authorizationParams,
          })
        },
      },
    ],
    [routes.callback, { methods: ['GET', 'POST'], run: (request) => operations.callback(request) }],
    [
      routes.logout,
      {
        methods: ['GET', 'POST'],
        run: (request, options) =>
          operations.logout(request, options.waitUntil ? { waitUntil: options.waitUntil } : {}),
      },
    ],
    [
      routes.backchannelLogout,
      { methods: ['POST'], run: (request) => operations.backchannelLogout(request) },
    ],
  ])

  return async function handler(request, options = {}) {
    let pathname: string
    try {
      pathname = getUrl(request, origin).pathname
    } catch {
      return undefined
    }
    const route = table.get(pathname)
    if (!route) return undefined
    const method = getMethod(request)
    if (!route.methods.includes(method)) {
      const response = json(405, {
        error: 'method_not_allowed',
        error_description: `use ${route.methods.join(' or ')}`,
      })
      response.headers.set('allow', route.methods.join(', '))
      return response
    }
    try {
      return await route.run(request, options)
    } catch (error) {
      return responder.errorResponse(request, error)
    }
  }
}
