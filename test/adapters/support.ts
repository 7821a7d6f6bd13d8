/**
 * Shared pieces of the adapter tests: a stand-in `OidcSession` whose answers are known (so a test
 * can check that an adapter forwards exactly what the core returned), and a tiny HTTP client.
 */
import { request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  OidcSessionError,
  SessionRequiredError,
  memoryStore,
  type FormRequest,
  type OidcSession,
  type RequestLike,
  type Session,
} from 'oidc-session'

/** The `Set-Cookie` lines the stand-in's `protect`/`authenticate` return (a refreshed session). */
export const REFRESHED = [
  'oidc_session.0=chunk-zero; Path=/; HttpOnly; SameSite=Lax; Max-Age=604800',
  'oidc_session.1=chunk-one; Path=/; HttpOnly; SameSite=Lax; Max-Age=604800',
]

/** The session the stand-in finds when the request carries `Cookie: session=ok`. */
export const SESSION: Session = {
  id: 'session-id',
  version: 3,
  createdAt: 1_700_000_000,
  expiresAt: 1_800_000_000,
  sub: 'alice',
  sid: 'sid-1',
  tokens: { accessToken: 'at', tokenType: 'Bearer', expiresAt: 1_750_000_000 },
}

/** What the stand-in's `handler` saw of a request, echoed as JSON. */
export interface Seen {
  method: string
  path: string
  /** The form fields the core's reader got (`readForm` semantics: Web body, or parsed body). */
  form: Record<string, string> | null
  /** `true` when the handler got a Web `Request`. */
  web: boolean
}

function headerOf(request: RequestLike, name: string): string | undefined {
  const headers = request.headers
  if (headers instanceof Headers) return headers.get(name) ?? undefined
  const value = headers[name]
  return Array.isArray(value) ? value.join('; ') : (value as string | undefined)
}

async function formOf(request: FormRequest): Promise<Record<string, string> | null> {
  if (request instanceof Request) {
    const text = await request.text()
    return text === '' ? null : Object.fromEntries(new URLSearchParams(text))
  }
  const body = request.body
  if (body === undefined || body === '') return null
  if (typeof body === 'string') return Object.fromEntries(new URLSearchParams(body))
  if (body instanceof URLSearchParams) return Object.fromEntries(body)
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)]))
}

/**
 * A stand-in `OidcSession`: `protect`/`authenticate` find {@link SESSION} when the request's
 * cookie contains `session=ok` (answering {@link REFRESHED} lines), else fail with a 401 JSON
 * answer; `handler` serves the four auth paths by echoing what it saw ({@link Seen}) with a
 * `Set-Cookie: tx=…` line (and a 302 without body for `/login`); `errorResponse` answers 401 for
 * `SessionRequiredError` and 500 otherwise, with the error's `code`.
 */
export function standIn(): OidcSession {
  const routes = {
    login: '/login',
    callback: '/callback',
    logout: '/logout',
    backchannelLogout: '/backchannel-logout',
  }
  const authenticated = (request: RequestLike) =>
    (headerOf(request, 'cookie') ?? '').includes('session=ok')
  const refreshed = () => {
    const headers = new Headers()
    for (const line of REFRESHED) headers.append('set-cookie', line)
    return headers
  }
  const auth: OidcSession = {
    routes,
    issuer: 'https://idp.example',
    clientId: 'app',
    store: memoryStore(),
    async handler(request) {
      const url = new URL(request.url, 'http://app.example')
      if (!Object.values(routes).includes(url.pathname)) return undefined
      if (url.pathname === '/login') {
        return new Response(null, {
          status: 302,
          headers: { location: 'https://idp.example/auth', 'set-cookie': 'tx=1; Path=/; HttpOnly' },
        })
      }
      const seen: Seen = {
        method: request.method ?? 'GET',
        path: url.pathname,
        form: await formOf(request),
        web: request instanceof Request,
      }
      const headers = new Headers({ 'content-type': 'application/json' })
      headers.append('set-cookie', 'tx=; Path=/; Max-Age=0')
      headers.append('set-cookie', 'other=; Path=/; Max-Age=0')
      return new Response(JSON.stringify(seen), { status: 200, headers })
    },
    async protect(request) {
      if (authenticated(request))
        return { ok: true, session: SESSION, headers: refreshed(), reason: 'refreshed' }
      const response = Response.json({ error: 'unauthorized' }, { status: 401 })
      return { ok: false, session: null, headers: new Headers(), reason: 'none', response }
    },
    async authenticate(request) {
      return authenticated(request)
        ? { ok: true, session: SESSION, headers: refreshed(), reason: 'refreshed' }
        : { ok: false, session: null, headers: new Headers(), reason: 'none' }
    },
    login: () => Promise.reject(new Error('not in the stand-in')),
    callback: () => Promise.reject(new Error('not in the stand-in')),
    accessToken: () => Promise.reject(new Error('not in the stand-in')),
    async userinfo(request) {
      if (!authenticated(request)) throw new SessionRequiredError('none')
      return { claims: { sub: 'alice' }, headers: refreshed() }
    },
    logout: () => Promise.reject(new Error('not in the stand-in')),
    forward: () => Promise.reject(new Error('not in the stand-in')),
    backchannelLogout: () => Promise.reject(new Error('not in the stand-in')),
    updateSession: () => Promise.reject(new Error('not in the stand-in')),
    sessions: () => Promise.reject(new Error('not in the stand-in')),
    endSession: () => Promise.reject(new Error('not in the stand-in')),
    endAllSessions: () => Promise.reject(new Error('not in the stand-in')),
    admin: {
      sessions: () => Promise.reject(new Error('not in the stand-in')),
      endSession: () => Promise.reject(new Error('not in the stand-in')),
      endAllSessions: () => Promise.reject(new Error('not in the stand-in')),
    },
    errorResponse(_request, error) {
      const code = error instanceof OidcSessionError ? error.code : 'ERR_INTERNAL'
      return Response.json({ code }, { status: error instanceof SessionRequiredError ? 401 : 500 })
    },
  }
  return auth
}

/** A raw answer: status, every header line (`set-cookie` as its list) and the body. */
export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  setCookie: string[]
  body: string
}

/** One request to `server` (listening), exactly as given; no redirect following. */
export function send(
  server: Server,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const { port } = server.address() as AddressInfo
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            setCookie: res.headers['set-cookie'] ?? [],
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(init.body)
  })
}

/** Listen on a free loopback port. */
export function listening(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** Close a server and its connections. */
export function closing(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve()
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

/** A form POST's headers. */
export const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
/** An API call's headers. */
export const JSON_API = { accept: 'application/json' }
