/**
 * A test bed for the Workers experiments: the real provider, the outbound proxy in front of it
 * (so a test can hold the provider's answers), and the test app in workerd.
 */
import type { JWK } from 'jose'

import { Agent, CookieJar } from '../../fixtures/agent.js'
import {
  DEFAULT_CLIENT,
  clientMetadata,
  freePort,
  startProvider,
  type TestProvider,
} from '../../fixtures/provider.js'
import type { AppStats, RuntimeEnv } from '../app.js'
import { startOutboundProxy, type OutboundProxy } from './outbound-proxy.js'
import { startApp, type RunningApp } from './runtimes.js'

/** A running bed. */
export interface WorkerBed {
  provider: TestProvider
  proxy: OutboundProxy
  app: RunningApp
  /** The app's counters. */
  stats(): Promise<AppStats>
  /** Polls the app's counters until `done` holds (10 s at most, then throws with the last counters). */
  until(done: (stats: AppStats) => boolean, what: string): Promise<AppStats>
  /** Polls the proxy's calls until `done` holds (10 s at most, then throws). */
  untilCalls(done: (proxy: OutboundProxy) => boolean, what: string): Promise<void>
  /** Moves the app's clock `seconds` ahead of real time. */
  clockAhead(seconds: number): Promise<void>
  /** Logs `agent` in; returns the `Cookie` header the browser then sends to the app. */
  login(agent?: Agent): Promise<string>
  /** `GET /api/me` as an API call with `cookie` (and `x-edge-id: edgeId`, to cancel it later). */
  me(cookie: string, options?: RequestOptions): Promise<Response>
  /** `GET /__test/authenticate` with `cookie`: authenticate()'s reason and error chain. */
  authenticate(cookie: string, options?: RequestOptions): Promise<AuthenticateAnswer>
  /** The `Cookie` header a browser sends after it sent `cookie` and got `setCookie` back. */
  nextCookie(cookie: string, setCookie: readonly string[]): string
  /** Cancels the request sent with `x-edge-id: id`, as the edge does when its client goes away. */
  cancel(id: string): Promise<void>
  close(): Promise<void>
}

/** Per-request options of the bed's requests. */
export interface RequestOptions {
  signal?: AbortSignal
  /** Sent as `x-edge-id`, so that {@link WorkerBed.cancel} can cancel the request. */
  edgeId?: string
}

/** The answer of `GET /__test/authenticate`. */
export interface AuthenticateAnswer {
  status: number
  reason: string
  sub: string | null
  /** `Name: message` of the error and its causes. */
  error: string[]
  /** The `Set-Cookie` lines of the answer (the result's headers). */
  setCookie: string[]
}

/** Options of {@link startWorkerBed}. */
export interface WorkerBedOptions {
  compatibilityDate?: string
  /** Serve the app behind the edge stand-in (see `edge.ts`). */
  edge?: boolean
  env?: Pick<
    RuntimeEnv,
    'SESSION_STORE' | 'STORE_IO' | 'REFRESH_BACKGROUND' | 'WAIT_UNTIL' | 'BACKCHANNEL'
  >
  /** The provider's private signing keys (to sign logout tokens as the provider). */
  jwks?: JWK[]
}

/**
 * `promise`, marked as handled: a request still pending when a test fails (and the bed closes)
 * must not surface as an unhandled rejection. Awaiting it still throws.
 *
 * @param promise a pending request
 * @returns the same promise
 */
export function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined)
  return promise
}

async function poll<T>(read: () => Promise<T> | T, done: (value: T) => boolean, what: string) {
  const deadline = Date.now() + 10_000
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline)
      throw new Error(`waited 10 s for ${what}; last: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * Start the provider (5-minute access tokens, rotation on), the proxy and the app in workerd.
 *
 * @param options compatibility date, store, background refresh
 * @returns the bed
 */
export async function startWorkerBed(options: WorkerBedOptions = {}): Promise<WorkerBed> {
  const provider = await startProvider({
    accessTokenTtl: 300,
    idTokenTtl: 3600,
    rotateRefreshToken: true,
    ...(options.jwks ? { jwks: options.jwks } : {}),
  })
  const proxy = await startOutboundProxy(provider.port)
  const port = await freePort()
  await provider.registerClient(clientMetadata(`http://127.0.0.1:${port}`))
  const app = await startApp('workerd', {
    port,
    outboundPort: proxy.port,
    edge: options.edge === true,
    ...(options.compatibilityDate ? { compatibilityDate: options.compatibilityDate } : {}),
    env: {
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: DEFAULT_CLIENT.id,
      OIDC_CLIENT_SECRET: DEFAULT_CLIENT.secret,
      SESSION_SECRET: 'workerd-session-secret-for-tests-0123456789',
      ...options.env,
    },
  })
  const get = (path: string, cookie: string, { signal, edgeId }: RequestOptions = {}) =>
    quiet(
      fetch(`${app.url}${path}`, {
        headers: {
          cookie,
          accept: 'application/json',
          ...(edgeId === undefined ? {} : { 'x-edge-id': edgeId }),
        },
        ...(signal ? { signal } : {}),
      }),
    )
  const stats = async () => (await (await fetch(`${app.url}/__test/stats`)).json()) as AppStats
  return {
    provider,
    proxy,
    app,
    stats,
    until: (done, what) => poll(stats, done, what),
    untilCalls: async (done, what) => {
      await poll(() => proxy, done, what)
    },
    async clockAhead(seconds) {
      const response = await fetch(`${app.url}/__test/clock?offsetSeconds=${seconds}`, {
        method: 'POST',
      })
      if (!response.ok) throw new Error(`clock: ${response.status}`)
    },
    async login(agent = new Agent()) {
      const done = await agent.login(`${app.url}/login?returnTo=/`)
      if (done.url !== `${app.url}/`) throw new Error(`login ended at ${done.url}`)
      return agent.jar.header(app.url)
    },
    me: (cookie, options) => get('/api/me', cookie, options),
    authenticate: (cookie, options) =>
      quiet(
        get('/__test/authenticate', cookie, options).then(async (response) => {
          const body = (await response.json()) as Omit<AuthenticateAnswer, 'status' | 'setCookie'>
          return { status: response.status, ...body, setCookie: response.headers.getSetCookie() }
        }),
      ),
    nextCookie(cookie, setCookie) {
      const jar = new CookieJar()
      for (const pair of cookie.split(/;\s*/).filter(Boolean)) {
        const eq = pair.indexOf('=')
        jar.set(app.url, pair.slice(0, eq), pair.slice(eq + 1))
      }
      jar.store(app.url, setCookie)
      return jar.header(app.url)
    },
    async cancel(id) {
      const response = await fetch(`${app.url}/__edge/cancel?id=${id}`, { method: 'POST' })
      if (!response.ok) throw new Error(`cancel ${id}: ${response.status}`)
    },
    async close() {
      await app.stop()
      await proxy.close()
      await provider.close()
    },
  }
}
