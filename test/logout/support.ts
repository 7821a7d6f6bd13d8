/**
 * Shared set-up of the logout tests: the Express example served for one `createOidcSession`
 * configuration, registered at the real provider as its own client.
 */
import type { Server } from 'node:http'
import { expect } from 'vitest'
import { createOidcSession, type OidcSession, type OidcSessionConfig } from 'oidc-session'
import { createApp, type ExampleEnv } from '../../examples/express/app.js'
import { Agent } from '../fixtures/agent.js'
import { freePort, type TestProvider } from '../fixtures/provider.js'

export const SECRET = 'logout-tests-secret-logout-tests-secret-0123'

/** One running app. */
export interface TestApp {
  url: string
  clientId: string
  clientSecret: string
  auth: OidcSession
  close(): Promise<void>
}

let counter = 0

/** Register a client for a new port and serve the example with `createOidcSession(options)`. */
export async function startApp(
  provider: TestProvider,
  options: Partial<OidcSessionConfig> | ((url: string) => Partial<OidcSessionConfig>) = {},
  shared?: { port: number; clientId: string; clientSecret: string },
): Promise<TestApp> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const clientId = shared?.clientId ?? `logout-app-${process.pid}-${++counter}`
  const clientSecret = shared?.clientSecret ?? `${clientId}-secret-${clientId}-secret-0123456789`
  const origins = [url, ...(shared ? [`http://127.0.0.1:${shared.port}`] : [])]
  await provider.registerClient({
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: origins.map((o) => `${o}/callback`),
    post_logout_redirect_uris: origins.flatMap((o) => [`${o}/`, `${o}/bye`]),
    backchannel_logout_uri: `${shared ? `http://127.0.0.1:${shared.port}` : url}/backchannel-logout`,
    backchannel_logout_session_required: true,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })
  const auth = createOidcSession({
    issuer: provider.issuer,
    client: { id: clientId, secret: clientSecret },
    redirectUri: `${url}/callback`,
    secrets: [SECRET],
    ...(typeof options === 'function' ? options(url) : options),
  })
  const env: ExampleEnv = {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: clientId,
    OIDC_CLIENT_SECRET: clientSecret,
    APP_URL: url,
    PORT: String(port),
    SESSION_SECRET: SECRET,
  }
  const server = await new Promise<Server>((resolve) => {
    const s = createApp(env, auth).listen(port, '127.0.0.1', () => resolve(s))
  })
  return {
    url,
    clientId,
    clientSecret,
    auth,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Sign in through the app; the agent's jar then holds the session cookies. */
export async function signIn(app: TestApp, username: string, agent = new Agent()): Promise<Agent> {
  const { response, url } = await agent.login(`${app.url}/login?returnTo=/`, { username })
  expect(response.status).toBe(200)
  expect(new URL(url).origin).toBe(app.url)
  return agent
}

/** The cookie header the agent would send to the app. */
export function cookieOf(agent: Agent, app: TestApp): string {
  return agent.jar.header(app.url)
}

/** A same-origin request for the core (`RequestLike`). */
export function request(
  app: TestApp,
  path: string,
  cookie: string,
  extra: Record<string, string> = {},
): { url: string; method: string; headers: Record<string, string> } {
  // Same-origin by default, as a browser on the app's own page would send (logout needs proof).
  return {
    url: `${app.url}${path}`,
    method: 'GET',
    headers: { cookie, 'sec-fetch-site': 'same-origin', ...extra },
  }
}

/** The refresh grant at the provider's token endpoint: the HTTP status and OAuth error. */
export async function tryRefresh(
  provider: TestProvider,
  app: TestApp,
  refreshToken: string,
): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${provider.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${btoa(`${app.clientId}:${app.clientSecret}`)}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  })
  const body = (await response.json()) as { error?: string }
  return { status: response.status, ...(body.error ? { error: body.error } : {}) }
}
