/**
 * `getSession` / `getAccessToken` with Next.js's own cookie stores (its internal adapters, as
 * `cookies()` returns them): the sealed read-only store of a Server Component render, and the
 * writable store of a Route Handler or Server Action. A Server Component never refreshes; a Route
 * Handler refreshes once and writes the cookies through `cookies()`.
 */
import {
  createCookiesWithMutableAccessCheck,
  MutableRequestCookiesAdapter,
  RequestCookiesAdapter,
} from 'next/dist/server/web/spec-extension/adapters/request-cookies'
import { RequestCookies } from 'next/dist/server/web/spec-extension/cookies'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { SessionRequiredError } from 'oidc-session'
import { getAccessToken, getSession, oidcProxy } from 'oidc-session/next'
import { Agent } from '../../fixtures/agent.js'
import { startProvider, type TestProvider } from '../../fixtures/provider.js'
import { startProxyBed, type ProxyBed } from './support.js'

/** What `headers()` and `cookies()` answer for the "current request". */
const scope = vi.hoisted(() => ({
  headers: new Headers(),
  cookies: undefined as unknown,
}))

vi.mock('next/headers', () => ({
  headers: async () => scope.headers,
  cookies: async () => scope.cookies,
}))

/** Set-Cookie lines written through the writable store (what Next.js would send). */
let written: string[] = []

/** The request scope of a Server Component render: `cookies()` is sealed read-only. */
function serverComponent(cookie: string): void {
  scope.headers = new Headers({ cookie })
  scope.cookies = RequestCookiesAdapter.seal(new RequestCookies(scope.headers))
}

/** The request scope of a Route Handler / Server Action: `cookies()` is writable. */
function routeHandler(cookie: string): void {
  scope.headers = new Headers({ cookie })
  written = []
  const mutableCookies = MutableRequestCookiesAdapter.wrap(
    new RequestCookies(scope.headers),
    (lines) => (written = lines),
  )
  scope.cookies = createCookiesWithMutableAccessCheck({ phase: 'action', mutableCookies } as never)
}

let provider: TestProvider
let bed: ProxyBed

async function sessionCookie(username: string): Promise<string> {
  const agent = new Agent()
  const { response } = await agent.login(`${bed.url}/login?returnTo=/`, { username })
  expect(response.status).toBe(200)
  return `oidc_session=${agent.jar.get('oidc_session', bed.url)}`
}

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 3600 })
  bed = await startProxyBed(provider, (auth) => oidcProxy(auth))
})
afterAll(async () => {
  await bed?.close()
  await provider?.close()
})
beforeEach(() => {
  provider.counters.reset()
  bed.clock.seconds = 0
})

describe('getSession in a Server Component (read-only cookies)', () => {
  it('answers the session as the request carries it', async () => {
    serverComponent(await sessionCookie('alice'))
    const result = await getSession(bed.auth)
    expect(result).toMatchObject({ ok: true, reason: 'valid', session: { sub: 'alice' } })
  })

  it('never refreshes an expired access token: refresh-required, no token call', async () => {
    serverComponent(await sessionCookie('bob'))
    bed.clock.seconds = 400
    const result = await getSession(bed.auth)
    expect(result).toEqual({ ok: false, session: null, reason: 'refresh-required' })
    expect(provider.counters.token.refresh_token).toBeUndefined()
    await expect(getAccessToken(bed.auth)).rejects.toMatchObject({
      code: 'ERR_SESSION_REQUIRED',
      reason: 'refresh-required',
    })
    expect(provider.counters.token.refresh_token).toBeUndefined()
  })

  it('without a session cookie: none; getAccessToken throws SessionRequiredError', async () => {
    serverComponent('theme=dark')
    expect(await getSession(bed.auth)).toMatchObject({ ok: false, reason: 'none' })
    const error = await getAccessToken(bed.auth).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SessionRequiredError)
    expect(error).toMatchObject({ code: 'ERR_SESSION_REQUIRED', reason: 'none' })
  })

  it('refresh: true where cookies cannot be written: served; the next request finds the refreshed tokens in the result cache', async () => {
    const cookie = await sessionCookie('carol')
    serverComponent(cookie)
    bed.clock.seconds = 400
    const forced = await getSession(bed.auth, { refresh: true })
    expect(forced).toMatchObject({ ok: true, reason: 'refreshed' })
    expect(provider.counters.token.refresh_token).toBe(1)
    routeHandler(cookie) // the browser still sends the old cookie
    expect(await getSession(bed.auth)).toMatchObject({ ok: true, reason: 'refreshed' })
    expect(provider.counters.token.refresh_token).toBe(1)
    expect(provider.counters.tokenErrors).toEqual({})
  })
})

describe('getSession in a Route Handler or Server Action (writable cookies)', () => {
  it('refreshes when due and writes the new cookie through cookies()', async () => {
    const cookie = await sessionCookie('dave')
    routeHandler(cookie)
    bed.clock.seconds = 400
    const result = await getSession(bed.auth)
    expect(result).toMatchObject({ ok: true, reason: 'refreshed', session: { sub: 'dave' } })
    expect(provider.counters.token.refresh_token).toBe(1)
    expect(written).toHaveLength(1)
    const [pair, ...attributes] = written[0]!.split('; ')
    expect(pair).toMatch(/^oidc_session=[\w.-]+$/)
    expect(attributes).toEqual(
      expect.arrayContaining([
        'Path=/',
        'HttpOnly',
        'SameSite=lax',
        expect.stringMatching(/^Max-Age=\d+$/),
      ]),
    )
    // The written cookie opens to the refreshed session, without another refresh.
    const next = await bed.auth.authenticate(
      { url: '/', headers: { cookie: written[0]!.split(';')[0]! } },
      { refresh: false },
    )
    expect(next).toMatchObject({ ok: true, reason: 'valid' })
    expect(next.session!.tokens.accessToken).toBe(
      (result as { session: { tokens: { accessToken: string } } }).session.tokens.accessToken,
    )
    expect(next.session!.tokens.accessToken).not.toBe(
      (await bed.auth.authenticate({ url: '/', headers: { cookie } }, { refresh: false })).session
        ?.tokens.accessToken,
    )
  })

  it('calls within one request share one answer (one refresh for a layout and its page)', async () => {
    routeHandler(await sessionCookie('erin'))
    bed.clock.seconds = 400
    const [a, b] = await Promise.all([getSession(bed.auth), getSession(bed.auth)])
    expect(a).toBe(b)
    expect(await getAccessToken(bed.auth)).toEqual({
      accessToken: (a as { session: { tokens: { accessToken: string } } }).session.tokens
        .accessToken,
      tokenType: expect.stringMatching(/^bearer$/i),
      expiresAt: expect.any(Number),
    })
    expect(provider.counters.token.refresh_token).toBe(1)
  })

  it('refresh: false never refreshes, even where it could write', async () => {
    routeHandler(await sessionCookie('frank'))
    bed.clock.seconds = 400
    expect(await getSession(bed.auth, { refresh: false })).toMatchObject({
      ok: false,
      reason: 'refresh-required',
    })
    expect(written).toEqual([])
    expect(provider.counters.token.refresh_token).toBeUndefined()
  })
})
