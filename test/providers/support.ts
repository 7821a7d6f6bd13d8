/**
 * The bed of the per-provider end-to-end tests: one provider stand-in (test/fixtures/providers/
 * harness.ts, served by msw) and one `createOidcSession` driven through `auth.handler()` by a tiny
 * cookie-keeping browser. `Date` is faked (and only `Date`): the library, `oauth4webapi`, `jose`
 * and the stand-in share one clock that a test moves with `advance()`, never by sleeping.
 */
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, vi } from 'vitest'

import {
  createOidcSession,
  type AuthResult,
  type OidcSession,
  type OidcSessionConfig,
  type SessionEndReason,
} from 'oidc-session'
import {
  createProviderStandIn,
  type Behaviour,
  type ProviderStandIn,
  type StandInProvider,
} from '../fixtures/providers/harness.js'

export const APP = 'http://127.0.0.1:3000'
export const CALLBACK = `${APP}/callback`
export const POST_LOGOUT = `${APP}/`
export const SECRET = 'provider-tests-secret-provider-tests-secret-0123'

/** The cookies a browser keeps for the app (one origin, one path: names are enough). */
export class Browser {
  readonly cookies = new Map<string, string>()

  /** The `Cookie` header to send. */
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  /** Apply every `Set-Cookie` line of `headers` (`Max-Age=0` deletes). */
  store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const at = pair.indexOf('=')
      const name = pair.slice(0, at).trim()
      if (/;\s*max-age=0\s*(;|$)/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, pair.slice(at + 1).trim())
    }
  }

  /** A copy of the jar as it is now (a tab that still holds the pre-refresh cookie). */
  snapshot(): Browser {
    const copy = new Browser()
    for (const [name, value] of this.cookies) copy.cookies.set(name, value)
    return copy
  }
}

/** What the session manager reported through its hooks. */
export interface Recorded {
  login: number
  refresh: string[]
  refreshError: string[]
  sessionEnded: SessionEndReason[]
}

/** Options of {@link ProviderBeds.start}. */
export interface BedOptions {
  provider: StandInProvider
  variant?: string
  behaviour?: Partial<Behaviour>
  /** Extra `createOidcSession` options (they override the bed's). */
  config?: Partial<OidcSessionConfig>
  /** Pass `provider` explicitly (the stand-in's hosts are loopback). Default `true`. */
  explicit?: boolean
}

/** One provider stand-in and one session manager, with a browser. */
export interface Bed {
  readonly standIn: ProviderStandIn
  readonly auth: OidcSession
  readonly browser: Browser
  readonly events: Recorded
  readonly warnings: string[]
  /** Move the shared clock forward. */
  advance(seconds: number): void
  /** Walk a login: the app's login route, the provider, the callback. */
  login(query?: string): Promise<{ authorization: URL; callback: URL | undefined; done: Response }>
  /** A same-origin navigation (or, with `api`, a `fetch`) to the app, with the browser's cookies. */
  request(path: string, options?: { api?: boolean; method?: string; browser?: Browser }): Request
  /** `authenticate()` for `path`; the browser keeps the cookies it sets. */
  authenticate(browser?: Browser): Promise<AuthResult>
  /** POST the logout route (a same-origin form), keeping the cookies it sets. */
  logout(): Promise<Response>
  /** Follow a redirect to the provider (through the stand-in). */
  visit(url: string | URL): Promise<Response>
  /** POST a back-channel logout token to the app. */
  backchannel(token: string): Promise<Response>
}

/** The provider tests' msw server: one per file, each test's stand-in in place of the last. */
export interface ProviderBeds {
  start(options: BedOptions): Promise<Bed>
}

/**
 * Register the file's msw server (unhandled requests are errors) and the fake `Date`.
 *
 * @returns `start(options)` for each test
 */
export function providerBeds(): ProviderBeds {
  const server = setupServer()
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => {
    server.resetHandlers()
    vi.useRealTimers()
  })
  afterAll(() => server.close())

  return {
    async start(options) {
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-03-02T09:00:00Z') })
      const standIn = await createProviderStandIn({
        provider: options.provider,
        ...(options.variant !== undefined ? { variant: options.variant } : {}),
        ...(options.behaviour !== undefined ? { behaviour: options.behaviour } : {}),
        client: { redirectUris: [CALLBACK], postLogoutRedirectUris: [POST_LOGOUT] },
      })
      server.resetHandlers(...standIn.handlers)
      const events: Recorded = { login: 0, refresh: [], refreshError: [], sessionEnded: [] }
      const warnings: string[] = []
      const auth = createOidcSession({
        issuer: standIn.issuer,
        client: { id: standIn.client.id, secret: standIn.client.secret },
        redirectUri: CALLBACK,
        postLogoutRedirectUri: POST_LOGOUT,
        secrets: [SECRET],
        ...(options.explicit === false ? {} : { provider: options.provider }),
        now: () => Date.now(),
        logger: { warn: (message) => warnings.push(message) },
        events: {
          login: () => void (events.login += 1),
          refresh: ({ source }) => void events.refresh.push(source),
          refreshError: ({ code }) => void events.refreshError.push(code),
          sessionEnded: ({ reason }) => void events.sessionEnded.push(reason),
        },
        ...options.config,
      })
      const browser = new Browser()

      const request: Bed['request'] = (path, { api = false, method = 'GET', browser: b } = {}) =>
        new Request(new URL(path, APP), {
          method,
          headers: {
            cookie: (b ?? browser).header(),
            'sec-fetch-site': 'same-origin',
            ...(api
              ? { 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', accept: 'application/json' }
              : {
                  'sec-fetch-mode': 'navigate',
                  'sec-fetch-dest': 'document',
                  accept: 'text/html',
                  'upgrade-insecure-requests': '1',
                }),
            ...(method === 'POST' ? { origin: APP } : {}),
          },
        })

      const handle = async (req: Request, b = browser): Promise<Response> => {
        const response = await auth.handler(req)
        if (!response) throw new Error(`not an auth route: ${req.url}`)
        b.store(response.headers)
        return response
      }

      return {
        standIn,
        auth,
        browser,
        events,
        warnings,
        advance: (seconds) => vi.setSystemTime(Date.now() + seconds * 1000),
        async login(query = 'returnTo=/') {
          const started = await handle(request(`/login?${query}`))
          if (started.status !== 302) throw new Error(`login answered ${started.status}`)
          const authorization = new URL(started.headers.get('location')!)
          const callback = await standIn.authorize(authorization)
          if (!callback) return { authorization, callback, done: started }
          const done = await handle(
            new Request(callback, {
              headers: {
                cookie: browser.header(),
                'sec-fetch-site': 'cross-site',
                'sec-fetch-mode': 'navigate',
                'sec-fetch-dest': 'document',
                accept: 'text/html',
              },
            }),
          )
          return { authorization, callback, done }
        },
        request,
        async authenticate(b = browser) {
          const result = await auth.authenticate(request('/', { browser: b }))
          b.store(result.headers)
          return result
        },
        logout: () => handle(request('/logout', { method: 'POST' })),
        visit: (url) => standIn.handle(new Request(new URL(url))),
        backchannel: (token) =>
          auth.backchannelLogout(
            new Request(`${APP}/backchannel-logout`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ logout_token: token }),
            }),
          ),
      }
    },
  }
}
