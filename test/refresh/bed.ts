/**
 * Test bed for the refresh tests: the real provider (refresh-token rotation ON), the Express example
 * app for the login, and an `OidcSession` with an adjustable clock that the tests call directly.
 */
import type { Server } from 'node:http'
import { createOidcSession, type OidcSession, type OidcSessionConfig } from 'oidc-session'
import { createApp, type ExampleEnv } from '../../examples/express/app.js'
import { Agent } from '../fixtures/agent.js'
import {
  DEFAULT_CLIENT,
  clientMetadata,
  freePort,
  startProvider,
  type TestProvider,
  type TestProviderOptions,
} from '../fixtures/provider.js'

export const SECRET = 'refresh-tests-secret-refresh-tests-secret-0123'

/** Everything a refresh test needs. */
export interface Bed {
  provider: TestProvider
  appUrl: string
  auth: OidcSession
  /**
   * The app's clock: `seconds` added to real time, or to `frozenAt` (epoch ms) when set, so that a
   * test can reason about back-off windows without real time passing. The provider keeps real time.
   */
  clock: { seconds: number; frozenAt?: number | undefined }
  /** Events received, in order, by name. */
  events: { name: string; payload: Record<string, unknown> }[]
  /** Log in through the example app; returns the browser (its jar holds the session cookies). */
  login(username?: string): Promise<Agent>
  /** A request to the app carrying `cookie`. */
  request(cookie: string, path?: string, headers?: Record<string, string>): Request
  close(): Promise<void>
}

/** Options of {@link startBed}: session options layered over the defaults, provider options. */
export interface BedOptions {
  session?: Partial<OidcSessionConfig>
  provider?: TestProviderOptions
}

/** Start the provider, the example app (for logins) and an `OidcSession` with a movable clock. */
export async function startBed(options: BedOptions = {}): Promise<Bed> {
  const provider = await startProvider({
    accessTokenTtl: 300,
    idTokenTtl: 300,
    rotateRefreshToken: true,
    ...options.provider,
  })
  const port = await freePort()
  const appUrl = `http://127.0.0.1:${port}`
  await provider.registerClient(clientMetadata(appUrl))
  const clock: Bed['clock'] = { seconds: 0 }
  const events: Bed['events'] = []
  const record =
    (name: string) =>
    (payload: object): void => {
      events.push({ name, payload: { ...payload } })
    }
  const auth = createOidcSession({
    issuer: provider.issuer,
    client: { id: DEFAULT_CLIENT.id, secret: DEFAULT_CLIENT.secret },
    redirectUri: `${appUrl}/callback`,
    secrets: [SECRET],
    now: () => (clock.frozenAt ?? Date.now()) + clock.seconds * 1000,
    events: {
      login: record('login'),
      refresh: record('refresh'),
      refreshError: record('refreshError'),
      sessionEnded: record('sessionEnded'),
    },
    ...options.session,
  })
  const env: ExampleEnv = {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: DEFAULT_CLIENT.id,
    OIDC_CLIENT_SECRET: DEFAULT_CLIENT.secret,
    APP_URL: appUrl,
    PORT: String(port),
    SESSION_SECRET: SECRET,
    SESSION_STORE: 'cookie',
  }
  const app = createApp(env, auth)
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s))
  })
  return {
    provider,
    appUrl,
    auth,
    clock,
    events,
    async login(username = 'alice') {
      const agent = new Agent()
      const { response, url } = await agent.login(`${appUrl}/login?returnTo=/api/me`, {
        username,
      })
      if (response.status !== 200 || new URL(url).pathname !== '/api/me')
        throw new Error(`login failed: ${response.status} at ${new URL(url).pathname}`)
      return agent
    },
    request(cookie, path = '/api/me', headers = {}) {
      return new Request(`${appUrl}${path}`, {
        headers: { accept: 'application/json', ...headers, cookie },
      })
    },
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await provider.close()
    },
  }
}

/** The cookie header after applying `headers`' Set-Cookie lines to `agent`'s jar. */
export function absorb(agent: Agent, appUrl: string, headers: Headers): string {
  agent.jar.store(appUrl, headers.getSetCookie())
  return agent.jar.header(appUrl)
}
