/**
 * The Web-standard test app that runs unchanged on Bun, Deno and Cloudflare's workerd
 * (`export default { fetch }`), built on the public API of `oidc-session` only.
 *
 * Routes: the auth routes (`/login`, `/callback`, `/logout`, `/backchannel-logout`), `/` (a
 * protected page), `/api/me` (protected JSON `{ sub, sid, expiresAt }`: 401 JSON for API calls,
 * 302 to login for navigations), and test-only control routes under `/__test/` that exist in
 * this app alone:
 *
 * - `GET /__test/health` → `{ ok, userAgent }`
 * - `POST /__test/clock?offsetSeconds=N` → the app's clock (`now`) runs N seconds ahead
 * - `GET /__test/seal` → seals a session with the cookie store and opens it again (round trip)
 * - `GET /__test/stats` → counters: store loads and saves, refreshes by source, refresh errors, requests in flight
 * - `GET /__test/authenticate` → `auth.authenticate()`'s reason and its error's cause chain
 *
 * On Workers the app does what we recommend: it passes the request's `ctx.waitUntil` to every auth
 * call (`auth.handler(request, { waitUntil })`, `auth.protect(request, { waitUntil })`), so a
 * refresh started by a request that is then cancelled still completes and reaches the requests
 * waiting for it, and `refresh.background` runs after the response. Bun and Deno have no
 * `ctx` (a detached promise lives on there); the launchers call `fetch(request, env)`.
 *
 * Configuration comes from the runtime's environment (Workers bindings, `Bun.env`,
 * `Deno.env`): `OIDC_ISSUER`, `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`, `APP_URL`,
 * `SESSION_SECRET`, and for the Workers experiments `SESSION_STORE` (`cookie` | `memory`),
 * `STORE_IO` (`1`: every save of the store makes a subrequest first, as a KV store would),
 * `REFRESH_BACKGROUND` (`1`: refresh due sessions in the background) and `WAIT_UNTIL` (`0`: never
 * pass `waitUntil`, as an app that ignores `ctx` would; `handling`: also hand the whole handling
 * of each request to `ctx.waitUntil`, which keeps a cancelled request's own store save alive —
 * the per-call `waitUntil` keeps only the refresh).
 */
import {
  type AuthenticateOptions,
  CookieJar,
  cookieStore,
  createOidcSession,
  memoryStore,
  type OidcSession,
  type Session,
  type SessionStore,
  type StoreContext,
} from 'oidc-session'

/** The environment the app reads. */
export interface RuntimeEnv {
  OIDC_ISSUER?: string
  OIDC_CLIENT_ID?: string
  OIDC_CLIENT_SECRET?: string
  APP_URL?: string
  SESSION_SECRET?: string
  SESSION_STORE?: string
  STORE_IO?: string
  REFRESH_BACKGROUND?: string
  WAIT_UNTIL?: string
  /** `logout.backchannel`: `auto` (default), `accept` or `refuse`. */
  BACKCHANNEL?: string
}

/** The variables the app reads (Deno's `--allow-env` lists the same, plus `PORT`). */
export const ENV_NAMES = [
  'OIDC_ISSUER',
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'APP_URL',
  'SESSION_SECRET',
  'SESSION_STORE',
  'STORE_IO',
  'REFRESH_BACKGROUND',
  'WAIT_UNTIL',
  'BACKCHANNEL',
] as const satisfies readonly (keyof RuntimeEnv)[]

/** What the app counts, for `/__test/stats`. */
export interface AppStats {
  /** Completed `store.load()` calls. */
  loads: number
  /** Completed `store.save()` calls. */
  saves: number
  /** Refreshes by source (`provider`, `shared`, `cache`), from the `refresh` event. */
  refresh: Record<string, number>
  /** Codes of `refreshError` events, in order. */
  refreshErrors: string[]
  /** Requests that entered the app and have not answered yet. */
  inflight: number
}

/** The part of a Workers `ExecutionContext` the app uses. */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void
}

/** The app: a `fetch` handler with its own clock offset and counters. */
export interface TestApp {
  /** Answer `request`; `ctx` is the Workers execution context (absent on Bun and Deno). */
  fetch(request: Request, ctx?: ExecutionContextLike): Promise<Response>
  readonly auth: OidcSession
  readonly stats: AppStats
}

function required(env: RuntimeEnv, name: keyof RuntimeEnv): string {
  const value = env[name]
  if (value === undefined || value === '') throw new Error(`${name} is required`)
  return value
}

const json = (body: unknown, status = 200, headers?: Headers): Response => {
  const out = new Headers({
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  })
  for (const line of headers?.getSetCookie() ?? []) out.append('set-cookie', line)
  return new Response(JSON.stringify(body), { status, headers: out })
}

/**
 * The store, counting completed loads and saves (the app's only instrumentation of the library);
 * with `io`, every save first awaits it (a subrequest, as a KV or Redis-over-HTTP store makes).
 * Every other member (a stateful store's lookups included) is the store's own, through the
 * prototype.
 */
function counted(store: SessionStore, stats: AppStats, io?: () => Promise<void>): SessionStore {
  const load: SessionStore['load'] = async (ctx) => {
    const result = await store.load(ctx)
    stats.loads += 1
    return result
  }
  const save: SessionStore['save'] = async (ctx, session) => {
    await io?.()
    const saved = await store.save(ctx, session)
    stats.saves += 1
    return saved
  }
  return Object.assign(Object.create(store) as SessionStore, { load, save })
}

/** Seal a session with the cookie store, open it from the `Set-Cookie` lines, tamper once. */
async function sealRoundTrip(secret: string, now: number): Promise<Response> {
  const store = cookieStore({ secrets: [secret] })
  const cookie = { name: 'seal_probe', attributes: { httpOnly: true, path: '/' } }
  const session: Session = {
    id: 'probe-session',
    version: 1,
    createdAt: now,
    expiresAt: now + 3600,
    sub: 'probe-user',
    sid: 'probe-sid',
    tokens: {
      accessToken: 'probe-access-token',
      tokenType: 'bearer',
      refreshToken: 'probe-refresh-token',
      expiresAt: now + 300,
    },
  }
  const out: StoreContext = { jar: new CookieJar(undefined), cookie, now }
  const saved = await store.save(out, { ...session, tokens: { ...session.tokens } })
  const lines = out.jar.setCookieLines()
  const pairs = lines.map((line) => line.split(';', 1)[0] ?? '')
  const header = pairs.join('; ')
  const opened = await store.load({ jar: new CookieJar(header), cookie, now })
  // Flip one character of the sealed value: it must not open.
  const [name, value = ''] = (pairs[0] ?? '').split(/=(.*)/s)
  const flipped = value.slice(0, -2) + (value.at(-2) === 'A' ? 'B' : 'A') + value.slice(-1)
  const tampered = await store.load({ jar: new CookieJar(`${name}=${flipped}`), cookie, now })
  const same =
    opened.session !== null &&
    opened.session.id === session.id &&
    opened.session.sub === session.sub &&
    opened.session.sid === session.sid &&
    opened.session.tokens.accessToken === session.tokens.accessToken &&
    opened.session.tokens.refreshToken === session.tokens.refreshToken &&
    opened.session.tokens.expiresAt === session.tokens.expiresAt
  return json({
    saved,
    cookies: pairs.length,
    sealedBytes: pairs.reduce((n, p) => n + p.length, 0),
    roundTrip: same,
    tampered: tampered.session === null ? tampered.reason : 'opened',
  })
}

/** `Name: message` of an error and of each `cause` below it. */
function chain(error: unknown): string[] {
  const out: string[] = []
  for (let e = error; e instanceof Error && out.length < 8; e = e.cause)
    out.push(`${e.name}: ${e.message}`)
  return out
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * Build the app from the runtime's environment.
 *
 * @param env the runtime's environment (see {@link RuntimeEnv})
 * @returns the app
 */
export function createApp(env: RuntimeEnv): TestApp {
  const appUrl = required(env, 'APP_URL').replace(/\/+$/, '')
  const secret = required(env, 'SESSION_SECRET')
  const stats: AppStats = { loads: 0, saves: 0, refresh: {}, refreshErrors: [], inflight: 0 }
  let clockOffsetMs = 0
  const now = () => Date.now() + clockOffsetMs
  const kind = env.SESSION_STORE ?? 'cookie'
  if (kind !== 'cookie' && kind !== 'memory') throw new Error('SESSION_STORE: cookie | memory')
  if (![undefined, '0', 'handling'].includes(env.WAIT_UNTIL))
    throw new Error('WAIT_UNTIL: unset | 0 | handling')
  const backchannel = env.BACKCHANNEL ?? 'auto'
  if (backchannel !== 'auto' && backchannel !== 'accept' && backchannel !== 'refuse')
    throw new Error('BACKCHANNEL: auto | accept | refuse')
  const store = kind === 'memory' ? memoryStore() : cookieStore({ secrets: [secret] })
  const storeIoUrl = new URL('/__store-io', required(env, 'OIDC_ISSUER'))
  const storeIo = async () => {
    await (await fetch(storeIoUrl, { method: 'POST' })).arrayBuffer()
  }

  const auth = createOidcSession({
    issuer: required(env, 'OIDC_ISSUER'),
    client: {
      id: required(env, 'OIDC_CLIENT_ID'),
      ...(env.OIDC_CLIENT_SECRET ? { secret: env.OIDC_CLIENT_SECRET } : {}),
    },
    redirectUri: `${appUrl}/callback`,
    postLogoutRedirectUri: `${appUrl}/`,
    secrets: [secret],
    store: counted(store, stats, env.STORE_IO === '1' ? storeIo : undefined),
    now,
    ...(env.REFRESH_BACKGROUND === '1' ? { refresh: { background: true } } : {}),
    logout: { backchannel },
    events: {
      refresh: ({ source }) => {
        stats.refresh[source] = (stats.refresh[source] ?? 0) + 1
      },
      refreshError: ({ code }) => {
        stats.refreshErrors.push(code)
      },
    },
  })

  // What every auth call of one request gets: the request's `waitUntil` on Workers.
  const requestOptions = (ctx: ExecutionContextLike | undefined): AuthenticateOptions =>
    ctx && env.WAIT_UNTIL !== '0' ? { waitUntil: (promise) => ctx.waitUntil(promise) } : {}

  /** `response`, with the whole handling handed to `ctx.waitUntil` when `WAIT_UNTIL=handling`. */
  const handling = (response: Promise<Response>, ctx: ExecutionContextLike | undefined) => {
    if (ctx && env.WAIT_UNTIL === 'handling') ctx.waitUntil(response.catch(() => undefined))
    return response
  }

  async function route(request: Request, options: AuthenticateOptions): Promise<Response> {
    const url = new URL(request.url)
    const served = await auth.handler(request, options)
    if (served) return served

    if (url.pathname.startsWith('/__test/')) {
      switch (`${request.method} ${url.pathname}`) {
        case 'GET /__test/health':
          return json({ ok: true, userAgent: navigator.userAgent })
        case 'POST /__test/clock': {
          const offset = Number(url.searchParams.get('offsetSeconds'))
          if (!Number.isFinite(offset)) return json({ error: 'offsetSeconds' }, 400)
          clockOffsetMs = offset * 1000
          return json({ offsetSeconds: offset })
        }
        case 'GET /__test/seal':
          return sealRoundTrip(secret, Math.floor(now() / 1000))
        case 'GET /__test/stats':
          return json(stats)
        case 'GET /__test/authenticate': {
          // What authenticate() says, with the error behind a failure (name and message down the
          // cause chain: the library's messages and the runtime's, never a token).
          const result = await auth.authenticate(request, options)
          return json(
            {
              reason: result.reason,
              sub: result.session?.sub ?? null,
              error: chain(result.error ?? result.warning),
            },
            200,
            result.headers,
          )
        }
        default:
          return json({ error: 'not found' }, 404)
      }
    }

    if (request.method === 'GET' && (url.pathname === '/api/me' || url.pathname === '/')) {
      const result = await auth.protect(request, options)
      if (!result.ok) return result.response
      const { session } = result
      if (url.pathname === '/') {
        const headers = new Headers({ 'content-type': 'text/html; charset=utf-8' })
        for (const line of result.headers.getSetCookie()) headers.append('set-cookie', line)
        return new Response(
          `<!doctype html><meta charset="utf-8"><title>oidc-session on a Web runtime</title>
<h1 id="signed-in">Signed in as ${escape(session.sub)}</h1>`,
          { headers },
        )
      }
      return json(
        { sub: session.sub, sid: session.sid ?? null, expiresAt: session.tokens.expiresAt ?? null },
        200,
        result.headers,
      )
    }
    return json({ error: 'not found' }, 404)
  }

  return {
    auth,
    stats,
    async fetch(request, ctx) {
      stats.inflight += 1
      try {
        return await handling(route(request, requestOptions(ctx)), ctx)
      } finally {
        stats.inflight -= 1
      }
    },
  }
}

// One app per isolate/process, built at the first request (Workers hand `env` to `fetch` only).
let app: TestApp | undefined

export default {
  /**
   * The Workers-style entry point; Bun and Deno launchers call it with their environment.
   *
   * @param request the request
   * @param env the runtime's environment
   * @param ctx Workers only: the execution context, whose `waitUntil` every auth call gets
   * @returns the response
   */
  fetch(request: Request, env: RuntimeEnv, ctx?: ExecutionContextLike): Promise<Response> {
    app ??= createApp(env)
    return app.fetch(request, ctx)
  },
}
