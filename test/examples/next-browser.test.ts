/**
 * Real Chromium against `examples/next` under `next start` and the real provider: after the access
 * token expires, a navigation whose Server Component reads the session and 20 parallel `fetch()`
 * calls to `/api/me` (distinct URLs, `cache: 'no-store'`, so Chromium really sends them at once,
 * every one with the pre-refresh cookie) make exactly one refresh call, and every answer is 200.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../fixtures/browser.js'
import { startProvider, type TestProvider } from '../fixtures/provider.js'
import {
  BUILD_TIMEOUT,
  buildExample,
  PROVIDER_OPTIONS,
  startExample,
  type NextExample,
} from './next-support.js'

let provider: TestProvider
let app: NextExample
let browser: Browser
let context: BrowserContext
let page: Page

beforeAll(async () => {
  await buildExample('next')
  provider = await startProvider(PROVIDER_OPTIONS)
  app = await startExample(provider, 'next')
  browser = await launchChromium()
  context = await browser.newContext()
  page = await context.newPage()
}, BUILD_TIMEOUT)

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await app?.close()
  await provider?.close()
})

/** Log in through the provider's real login and consent pages; ends on the app's home page. */
async function login(username: string): Promise<void> {
  await page.goto(`${app.url}/login?returnTo=/`)
  for (let step = 0; step < 6 && !page.url().startsWith(`${app.url}/`); step++) {
    if (await page.locator('input[name="login"]').count()) {
      await page.fill('input[name="login"]', username)
      await page.fill('input[name="password"]', 'pass')
    }
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')])
  }
  expect(new URL(page.url()).origin).toBe(app.url)
  expect(await page.locator('#sub').textContent()).toBe(username)
}

/** 20 `fetch('/api/me?…')` started at once from the page; their statuses and bodies. */
function burst(tag: string): Promise<{ status: number; expiresAt: number | undefined }[]> {
  return page.evaluate(
    (tag) =>
      Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const response = await fetch(`/api/me?${tag}=${i}`, { cache: 'no-store' })
          const body = (await response.json()) as { expiresAt?: number }
          return { status: response.status, expiresAt: body.expiresAt }
        }),
      ),
    tag,
  )
}

describe('examples/next in Chromium', () => {
  it('after expiry: a Server Component page plus 20 parallel fetches make one refresh, all 200', async () => {
    await login('alice')
    const loginExpiry = Number(await page.locator('#expires-at').getAttribute('datetime'))
    await app.setClock(400) // past the access token's 300 s
    provider.counters.reset()
    const before = (await context.cookies(app.url)).find((c) => c.name === 'oidc_session')!.value
    const sent: Promise<string | null>[] = []
    page.on('request', (request) => {
      if (/\/api\/me\?a=/.test(request.url())) sent.push(request.headerValue('cookie'))
    })

    const other = await context.newPage()
    const [answers, navigation] = await Promise.all([burst('a'), other.goto(`${app.url}/`)])
    // It was a real burst: every fetch left with the pre-refresh cookie.
    const cookies = await Promise.all(sent)
    expect(cookies).toHaveLength(20)
    for (const cookie of cookies) expect(cookie).toContain(`oidc_session=${before}`)
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200))
    expect(navigation?.status()).toBe(200)
    expect(await other.locator('#sub').textContent()).toBe('alice')
    expect(provider.counters.token.refresh_token, app.output()).toBe(1)
    expect(provider.counters.tokenErrors).toEqual({})

    // Everyone got the refreshed session: the page's Server Component too (it never refreshes).
    const refreshed = Number(await other.locator('#expires-at').getAttribute('datetime'))
    expect(refreshed).toBeGreaterThan(loginExpiry + 300)
    expect(new Set(answers.map((a) => a.expiresAt))).toEqual(new Set([refreshed]))

    // The browser now holds the new cookie: the next burst needs no refresh.
    const again = await burst('b')
    expect(again.map((a) => a.status)).toEqual(again.map(() => 200))
    expect(provider.counters.token.refresh_token).toBe(1)
    await other.close()
  })
})
