/**
 * Real Chromium against the Express example and the real provider: a ~12 KB cookie session is
 * stored in chunks and sent back whole; shrinking it to one cookie leaves no stale chunk in the
 * browser's jar; rotating the secret keeps the user logged in and re-seals under the new key.
 */
import type { Server } from 'node:http'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar, cookieStore, createOidcSession } from 'oidc-session'
import { createApp, type ExampleEnv } from '../../examples/express/app.js'
import { launchChromium } from '../fixtures/browser.js'
import { freePort, startProvider, type TestProvider } from '../fixtures/provider.js'

const OLD_SECRET = 'browser-chunks-old-secret-browser-chunks-0123'
const NEW_SECRET = 'browser-chunks-new-secret-browser-chunks-4567'
/** Room for a 12 KB session (Node's default header limit is 16 KB). */
const BUDGET = 14_000
/** A user whose id_token carries 8 000 bytes of padding: a ~12 KB sealed session. */
const BIG_USER = 'big-8000'
const COOKIE = 'oidc_session'

let provider: TestProvider
let browser: Browser
let context: BrowserContext
let page: Page
let env: ExampleEnv
let appUrl: string
let port: number
let server: Server | undefined

async function startApp(secrets: string[]): Promise<void> {
  const auth = createOidcSession({
    issuer: env.OIDC_ISSUER!,
    client: { id: env.OIDC_CLIENT_ID!, secret: env.OIDC_CLIENT_SECRET! },
    redirectUri: `${appUrl}/callback`,
    postLogoutRedirectUri: `${appUrl}/`,
    secrets,
    store: cookieStore({ secrets, maxTotalBytes: BUDGET }),
  })
  const app = createApp(env, auth)
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s))
  })
}

async function stopApp(): Promise<void> {
  const s = server
  server = undefined
  if (!s) return
  s.closeAllConnections()
  await new Promise((resolve) => s.close(resolve))
}

/** Log in through the provider's real login and consent pages; ends on the app's home page. */
async function login(username: string): Promise<void> {
  // Forget the provider's own session (same host, other port: cookies ignore ports), so it asks
  // who is logging in; the app's cookies stay as they are.
  await context.clearCookies({ name: /^_/ })
  await page.goto(`${appUrl}/login?returnTo=/`)
  for (let step = 0; step < 6 && !page.url().startsWith(`${appUrl}/`); step++) {
    if (await page.locator('input[name="login"]').count()) {
      await page.fill('input[name="login"]', username)
      await page.fill('input[name="password"]', 'pass')
    }
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')])
  }
  expect(new URL(page.url()).origin).toBe(appUrl)
}

/** The session cookies (unsplit and chunks) in the browser's jar, by name. */
async function sessionCookies(): Promise<Map<string, string>> {
  const all = await context.cookies(appUrl)
  return new Map(
    all
      .filter((c) => c.name === COOKIE || c.name.startsWith(`${COOKIE}.`))
      .map((c) => [c.name, c.value]),
  )
}

async function me(): Promise<{ status: number; body: { sub?: string } }> {
  const response = await page.goto(`${appUrl}/api/me`)
  if (!response) throw new Error('no response for /api/me')
  const status = response.status()
  const text = await response.text()
  return { status, body: status === 200 ? (JSON.parse(text) as { sub?: string }) : {} }
}

/** Open the jar's session cookies with a store that knows only `secrets`. */
async function openWith(secrets: string[], cookies: Map<string, string>) {
  const header = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  return cookieStore({ secrets, maxTotalBytes: BUDGET }).load({
    jar: new CookieJar(header),
    cookie: { name: COOKIE, attributes: {} },
    now: Math.floor(Date.now() / 1000),
  })
}

beforeAll(async () => {
  browser = await launchChromium()
  provider = await startProvider({ accessTokenTtl: 600, idTokenTtl: 600 })
  port = await freePort()
  appUrl = `http://127.0.0.1:${port}`
  env = {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: 'cookie-chunks',
    OIDC_CLIENT_SECRET: 'cookie-chunks-secret-cookie-chunks-secret-0123',
    APP_URL: appUrl,
    PORT: String(port),
    SESSION_SECRET: OLD_SECRET,
    SESSION_STORE: 'cookie',
  }
  await provider.registerClient({
    client_id: env.OIDC_CLIENT_ID!,
    client_secret: env.OIDC_CLIENT_SECRET!,
    redirect_uris: [`${appUrl}/callback`],
    post_logout_redirect_uris: [`${appUrl}/`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })
  await startApp([OLD_SECRET])
  context = await browser.newContext()
  page = await context.newPage()
}, 30_000)

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await stopApp()
  await provider?.close()
})

describe('cookie store in Chromium', () => {
  it('stores a ~12 KB session in chunks that Chromium sends back whole', async () => {
    await login(BIG_USER)
    const cookies = await sessionCookies()
    const names = [...cookies.keys()].sort()
    expect(names.length).toBeGreaterThanOrEqual(3)
    expect(names).toEqual(names.map((_, i) => `${COOKIE}.${i}`).sort())
    for (const [name, value] of cookies)
      expect(name.length + 1 + value.length).toBeLessThanOrEqual(4050)
    const total = [...cookies.values()].reduce((sum, value) => sum + value.length, 0)
    expect(total).toBeGreaterThan(11_000)
    expect(total).toBeLessThan(BUDGET)
    // Defaults on plain-HTTP loopback: HttpOnly, SameSite=Lax, Path=/, no Secure (so no __Host-),
    // Max-Age = the absolute session lifetime (7 days).
    const now = Date.now() / 1000
    for (const c of (await context.cookies(appUrl)).filter((c) =>
      c.name.startsWith(`${COOKIE}.`),
    )) {
      expect(c).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false })
      expect(c.expires).toBeGreaterThan(now + 7 * 86400 - 120)
      expect(c.expires).toBeLessThan(now + 7 * 86400 + 120)
    }
    const { status, body } = await me()
    expect(status).toBe(200)
    expect(body.sub).toBe(BIG_USER)
  })

  it('leaves no stale chunk when the session shrinks to one cookie', async () => {
    expect((await sessionCookies()).size).toBeGreaterThanOrEqual(3)
    await login('small-user')
    const cookies = await sessionCookies()
    expect([...cookies.keys()]).toEqual([COOKIE])
    const { status, body } = await me()
    expect(status).toBe(200)
    expect(body.sub).toBe('small-user')
  })

  it('keeps the user logged in across a key rotation and re-seals under the new key', async () => {
    await login(BIG_USER)
    const before = await sessionCookies()
    expect(before.size).toBeGreaterThanOrEqual(3)
    expect((await openWith([NEW_SECRET], before)).reason).toBe('tampered')

    await stopApp()
    await startApp([NEW_SECRET, OLD_SECRET])
    const { status, body } = await me()
    expect(status).toBe(200)
    expect(body.sub).toBe(BIG_USER)

    const after = await sessionCookies()
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort())
    const reopened = await openWith([NEW_SECRET], after)
    expect(reopened.session?.sub).toBe(BIG_USER)
    expect(reopened.session !== null ? reopened.stale : 'no session').toBeUndefined()
    // …and it keeps working once the old secret is gone.
    await stopApp()
    await startApp([NEW_SECRET])
    expect((await me()).body.sub).toBe(BIG_USER)
  })
})
