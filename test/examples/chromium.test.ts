/**
 * Real Chromium against the Hono and Koa examples (in-process, cookie store) and the real provider:
 * log in through the provider's pages, let the access token expire, fire a burst of parallel
 * `fetch()` calls from the page — `cache: 'no-store'`, or Chromium would send same-URL GETs one
 * after another — which all succeed with one refresh, then log out with the page's own button.
 */
import type { Server } from 'node:http'
import { createServer } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OidcSession } from 'oidc-session'
import { createApp as createHonoApp } from '../../examples/hono/app.js'
import { createApp as createKoaApp } from '../../examples/koa/app.js'
import { createAuth, type Closable, type ExampleEnv } from '../../examples/shared/index.js'
import { launchChromium } from '../fixtures/browser.js'
import { clientMetadata, freePort, startProvider, type TestProvider } from '../fixtures/provider.js'
import { serveNode } from './scenario.js'

const ACCESS_TTL = 120
const BURST = 24

const STACKS: Record<
  string,
  (env: ExampleEnv, auth: OidcSession, port: number) => Promise<Closable>
> = {
  hono: (env, auth, port) =>
    serveNode(createAdaptorServer({ fetch: createHonoApp(env, auth).fetch }) as Server, port),
  koa: (env, auth, port) => {
    const callback = createKoaApp(env, auth).callback()
    return serveNode(
      createServer((req, res) => void callback(req, res)),
      port,
    )
  },
}

let provider: TestProvider
let browser: Browser

beforeAll(async () => {
  ;[provider, browser] = await Promise.all([
    startProvider({ accessTokenTtl: ACCESS_TTL, idTokenTtl: 3600, rotateRefreshToken: true }),
    launchChromium(),
  ])
})

afterAll(async () => {
  await browser?.close()
  await provider?.close()
})

describe.each(Object.keys(STACKS))('%s example in Chromium', (name) => {
  const skew = { seconds: 0 }
  let url: string
  let server: Closable
  let context: BrowserContext
  let page: Page

  beforeAll(async () => {
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    const clientId = `chromium-${name}`
    const secret = `${clientId}-secret-${clientId}-secret-0123456789`
    await provider.registerClient(
      clientMetadata(url, { client_id: clientId, client_secret: secret }),
    )
    const env: ExampleEnv = {
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: clientId,
      OIDC_CLIENT_SECRET: secret,
      APP_URL: url,
      PORT: String(port),
      SESSION_SECRET: 'chromium-secret-chromium-secret-chromium-0123',
      SESSION_STORE: 'cookie',
    }
    const auth = createAuth(env, undefined, { now: () => Date.now() + skew.seconds * 1000 })
    server = await STACKS[name]!(env, auth, port)
    context = await browser.newContext()
    page = await context.newPage()
  })

  afterAll(async () => {
    await context?.close()
    await server?.close()
  })

  it('logs in through the provider’s pages and lands on the protected home page', async () => {
    await page.goto(`${url}/`)
    for (let step = 0; step < 6 && !page.url().startsWith(`${url}/`); step++) {
      if (await page.locator('input[name="login"]').count()) {
        await page.fill('input[name="login"]', `${name}-browser-user`)
        await page.fill('input[name="password"]', 'pass')
      }
      await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')])
    }
    expect(page.url()).toBe(`${url}/`)
    expect(await page.textContent('h1')).toBe(`Signed in as ${name}-browser-user`)
  })

  it(`after expiry, ${BURST} parallel fetch() calls from the page all succeed with one refresh`, async () => {
    skew.seconds = ACCESS_TTL + 60
    provider.counters.reset()
    const statuses = await page.evaluate(async (count) => {
      const calls = Array.from({ length: count }, () =>
        fetch('/api/me', { cache: 'no-store', headers: { accept: 'application/json' } }).then(
          async (r) => `${r.status} ${((await r.json()) as { sub?: string }).sub ?? ''}`,
        ),
      )
      return Promise.all(calls)
    }, BURST)
    expect(statuses).toEqual(statuses.map(() => `200 ${name}-browser-user`))
    expect(provider.counters.token.refresh_token).toBe(1)
    // The browser kept the refreshed cookie: the next call needs no refresh.
    const next = await page.evaluate(() =>
      fetch('/api/userinfo', { cache: 'no-store' }).then((r) => r.status),
    )
    expect(next).toBe(200)
    expect(provider.counters.token.refresh_token).toBe(1)
  })

  it('logs out with the page’s button, at the provider too', async () => {
    await page.goto(`${url}/`)
    await Promise.all([
      page.waitForURL(
        (u) => u.origin === provider.issuer && u.pathname.startsWith('/interaction/'),
      ),
      page.click('form[action="/logout"] button'),
    ])
    // The session cookies are gone (a new login's transaction cookie, oidc_session_tx.*, may be there).
    const cookies = await context.cookies(url)
    expect(cookies.filter((c) => /^oidc_session(\.\d+)?$/.test(c.name))).toEqual([])
    // The browser context's own cookies, sent to the API: no session any more.
    const me = await context.request.get(`${url}/api/me`, {
      headers: { accept: 'application/json' },
    })
    expect(me.status()).toBe(401)
  })
})
