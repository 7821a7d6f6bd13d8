/**
 * Express (4 and 5) adapter: a router for `/login`, `/callback`, `/logout` and middleware that
 * authenticates or protects routes. It imports no Express code at run time.
 *
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response as ExpressResponse } from 'express'
import type { Session } from '../../session/session.js'
import type { OidcSession } from '../../session/manager.js'
import { applySetCookies, fromNodeRequest, sendResponse } from '../node/index.js'

/** What the middleware puts on `req.oidc`. */
export interface ExpressOidcContext {
  /** The session, when authenticated. */
  session: Session | null
  /** Why there is no session (`none`, `tampered`, `refresh-rejected`…), or `ok` / `refreshed`. */
  reason: string
}

declare module 'express-serve-static-core' {
  interface Request {
    oidc?: ExpressOidcContext
  }
}

/** Route paths of {@link oidcRouter}. */
export interface RouterPaths {
  login?: string
  callback?: string
  logout?: string
  /** `POST` receiver of OpenID Connect back-channel logout. Default `/backchannel-logout`. */
  backchannelLogout?: string
}

/** Largest back-channel logout body read, in bytes (a logout token is a few hundred). */
const MAX_BACKCHANNEL_BODY = 64 * 1024

/** The form body of a back-channel logout: parsed by a body parser already, or read here. */
async function backchannelRequest(req: Request) {
  const base = fromNodeRequest(req)
  const parsed: unknown = (req as { body?: unknown }).body
  if (
    typeof parsed === 'string' ||
    (typeof parsed === 'object' && parsed !== null && Object.keys(parsed).length > 0)
  )
    return { ...base, body: parsed as string | Record<string, unknown> }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += bytes.length
    if (size > MAX_BACKCHANNEL_BODY) break
    chunks.push(bytes)
  }
  return {
    ...base,
    body: size > MAX_BACKCHANNEL_BODY ? '' : Buffer.concat(chunks).toString('utf8'),
  }
}

function handler(
  auth: OidcSession,
  run: (req: Request, res: ExpressResponse) => Promise<void>,
): RequestHandler {
  return (req, res, next) => {
    run(req, res).catch(async (error: unknown) => {
      if (res.headersSent) return next(error)
      try {
        await sendResponse(res, auth.errorResponse(fromNodeRequest(req), error))
      } catch (sendError) {
        next(sendError)
      }
    })
  }
}

/**
 * The authentication routes: `GET /login`, `GET /callback`, `GET|POST /logout`,
 * `POST /backchannel-logout` (reads the form body itself unless a body parser already did). Failures become
 * clear responses (400 for a bad callback, 503 when the provider is down), never a 500 page.
 *
 * @param auth from `createOidcSession`
 * @param paths route paths; defaults `/login`, `/callback` (the redirect URI's path), `/logout`
 * @example
 * ```ts
 * app.use(oidcRouter(auth))
 * ```
 */
export function oidcRouter(auth: OidcSession, paths: RouterPaths = {}): RequestHandler {
  const login = paths.login ?? auth.config.loginPath
  const callback = paths.callback ?? auth.config.redirectUri.pathname
  const logout = paths.logout ?? '/logout'
  const backchannelLogout = paths.backchannelLogout ?? '/backchannel-logout'
  const routes: Record<string, (req: Request) => Promise<Response>> = {
    [`GET ${login}`]: (req) => auth.login(fromNodeRequest(req)),
    [`GET ${callback}`]: (req) => auth.callback(fromNodeRequest(req)),
    [`GET ${logout}`]: (req) => auth.logout(fromNodeRequest(req)),
    [`POST ${logout}`]: (req) => auth.logout(fromNodeRequest(req)),
    [`POST ${backchannelLogout}`]: async (req) =>
      auth.backchannelLogout(await backchannelRequest(req)),
  }
  return (req: Request, res: ExpressResponse, next: NextFunction) => {
    const route = routes[`${req.method === 'HEAD' ? 'GET' : req.method} ${req.path}`]
    if (!route) return next()
    handler(auth, async () => sendResponse(res, await route(req)))(req, res, next)
  }
}

/**
 * Middleware that loads the session (refreshing it when due) into `req.oidc` and continues either
 * way. Refreshed-session cookies are set on the response.
 */
export function authenticate(auth: OidcSession): RequestHandler {
  return handler(auth, async (req, res) => {
    const result = await auth.authenticate(fromNodeRequest(req))
    applySetCookies(res, result.headers)
    req.oidc = { session: result.session, reason: result.reason }
  })
}

/**
 * Middleware for protected routes: continues with `req.oidc.session` set, or answers for itself —
 * 401 JSON to API calls, 302 to login for navigations, 503 when the provider or store is down.
 *
 * @example
 * ```ts
 * app.get('/api/me', protect(auth), (req, res) => res.json({ sub: req.oidc!.session!.sub }))
 * ```
 */
export function protect(auth: OidcSession): RequestHandler {
  return (req, res, next) => {
    handler(auth, async () => {
      const result = await auth.protect(fromNodeRequest(req))
      if (result.response) return sendResponse(res, result.response)
      applySetCookies(res, result.headers)
      req.oidc = { session: result.session, reason: 'ok' }
      next()
    })(req, res, next)
  }
}

export { fromNodeRequest, sendResponse, applySetCookies }
