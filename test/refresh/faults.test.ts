/**
 * Failure semantics of the refresh, against the real provider, with msw only for the faults a real
 * provider will not produce (500, HTML body, timeout, network error). `invalid_grant` and a refused
 * connection come from the real provider (a revoked refresh token, a closed port).
 *
 * Transient faults keep the session: its access token is served while still valid (`reason: 'refresh-deferred'`
 * with a `warning`), then `provider-unavailable` (503 from `protect`), and the grant backs off, so a
 * burst during an outage makes at most one provider call. `invalid_grant` ends the session.
 */
import { delay, http, HttpResponse, passthrough } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ProviderUnavailableError,
  RefreshRejectedError,
  SessionRequiredError,
  type AuthResult,
} from 'oidc-session'
import type { Agent } from '../fixtures/agent.js'
import { startAppBed, type AppBed } from '../fixtures/app-bed.js'

type Mode = 'real' | '500' | 'html' | 'timeout' | 'network'

const TIMEOUT_MS = 1500
let mode: Mode = 'real'
let intercepted = 0
let bed: AppBed
let providerClosed = false
const server = setupServer()

beforeAll(async () => {
  bed = await startAppBed({ session: { http: { timeoutMs: TIMEOUT_MS } } })
  const issuer = bed.provider.issuer
  server.resetHandlers(
    http.post(`${issuer}/token`, async ({ request }) => {
      const body = await request.clone().text()
      if (mode === 'real' || !body.includes('grant_type=refresh_token')) return passthrough()
      intercepted += 1
      switch (mode) {
        case '500':
          return new HttpResponse('Internal Server Error', {
            status: 500,
            headers: { 'content-type': 'text/plain' },
          })
        case 'html':
          return new HttpResponse('<!DOCTYPE html><html><body>Maintenance</body></html>', {
            status: 200,
            headers: { 'content-type': 'text/html' },
          })
        case 'timeout':
          await delay(TIMEOUT_MS * 5)
          return HttpResponse.json({ error: 'too late' }, { status: 500 })
        case 'network':
          return HttpResponse.error()
      }
    }),
    http.all(`${issuer}/*`, () => passthrough()),
    http.all(`${bed.url}/*`, () => passthrough()),
  )
  server.listen({ onUnhandledRequest: 'error' })
})

afterAll(async () => {
  server.close()
  if (providerClosed) bed.provider.close = () => Promise.resolve()
  await bed?.close()
})

beforeEach(() => {
  mode = 'real'
  intercepted = 0
  bed.clock.seconds = 0
  bed.clock.frozenAt = undefined
  bed.events.length = 0
  bed.provider.counters.reset()
})

// Access tokens live 300 s; with 30 s clock tolerance and 60 s leeway a token is `due` from 210 s
// and `expired` from 270 s on the app's clock.
const DUE = 240
const EXPIRED = 400

function expectKept(result: AuthResult): void {
  // No Set-Cookie at all: the session cookie is neither cleared nor rewritten.
  expect(result.headers.getSetCookie()).toEqual([])
}

function expectTransient(result: AuthResult): ProviderUnavailableError {
  expect(result.session).toBeNull()
  if (result.session) throw new Error('expected no session')
  expect(result.reason).toBe('provider-unavailable')
  expect(result.error).toBeInstanceOf(ProviderUnavailableError)
  expect(result.error?.code).toBe('ERR_PROVIDER_UNAVAILABLE')
  expect(result.error?.transient).toBe(true)
  expect(result.error?.message).not.toMatch(/eyJ|[A-Za-z0-9_-]{40,}/)
  expectKept(result)
  return result.error as ProviderUnavailableError
}

async function session(): Promise<{ agent: Agent; cookie: string; accessToken: string }> {
  const agent = await bed.login('erin')
  const cookie = agent.jar.header(bed.url)
  const start = await bed.auth.authenticate(bed.request(cookie))
  expect(start.reason).toBe('valid')
  bed.provider.counters.reset()
  bed.events.length = 0
  return { agent, cookie, accessToken: start.session!.tokens.accessToken }
}

describe('transient provider faults keep the session', () => {
  it('500: serves the still-valid token with a warning, then provider-unavailable (503), then recovers', async () => {
    const { cookie, accessToken } = await session()
    bed.clock.frozenAt = Date.now() // back-off windows below are on this clock only
    mode = '500'
    bed.clock.seconds = DUE
    const due = await bed.auth.authenticate(bed.request(cookie))
    expect(due.reason).toBe('refresh-deferred')
    expect(due.session!.tokens.accessToken).toBe(accessToken)
    expect(due.warning).toBeInstanceOf(ProviderUnavailableError)
    expect(due.warning?.message).toContain('HTTP 500')
    expectKept(due)
    expect(intercepted).toBe(1)
    expect(bed.events).toEqual([
      {
        name: 'refreshError',
        payload: {
          sessionId: expect.any(String),
          sub: 'erin',
          code: 'ERR_PROVIDER_UNAVAILABLE',
          transient: true,
        },
      },
    ])
    // accessToken() still hands out the valid token during the back-off, without a call.
    const token = await bed.auth.accessToken(bed.request(cookie))
    expect(token.accessToken).toBe(accessToken)
    expect(intercepted).toBe(1)

    bed.clock.seconds = EXPIRED // back-off (0.5 s) over, token expired
    expectTransient(await bed.auth.authenticate(bed.request(cookie)))
    expect(intercepted).toBe(2)
    const api = await bed.auth.protect(bed.request(cookie))
    expect(api.response?.status).toBe(503)
    expect(api.response?.headers.get('retry-after')).toBeTruthy()
    const page = await bed.auth.protect(
      bed.request(cookie, '/', { accept: 'text/html', 'sec-fetch-mode': 'navigate' }),
    )
    expect(page.response?.status).toBe(503)
    await expect(bed.auth.accessToken(bed.request(cookie))).rejects.toBeInstanceOf(
      ProviderUnavailableError,
    )
    expect(intercepted).toBe(2) // inside the back-off: no provider call

    mode = 'real'
    bed.clock.seconds = EXPIRED + 1.1 // second back-off (1 s) over
    const recovered = await bed.auth.authenticate(bed.request(cookie))
    expect(recovered.reason).toBe('refreshed')
    expect(recovered.session!.tokens.accessToken).not.toBe(accessToken)
    expect(bed.provider.counters.token.refresh_token).toBe(1)
  })

  it('a burst during an outage makes at most one provider call; the back-off doubles', async () => {
    const { cookie } = await session()
    mode = 'network'
    bed.clock.frozenAt = Date.now() // back-off windows below are on this clock only
    bed.clock.seconds = EXPIRED
    const burst = () =>
      Promise.all(Array.from({ length: 200 }, () => bed.auth.authenticate(bed.request(cookie))))
    const first = await burst()
    expect(intercepted).toBe(1)
    for (const result of first) expectTransient(result)
    bed.clock.seconds = EXPIRED + 0.4 // first back-off: 0.5 s
    await burst()
    expect(intercepted).toBe(1)
    bed.clock.seconds = EXPIRED + 0.6
    await burst()
    expect(intercepted).toBe(2)
    bed.clock.seconds = EXPIRED + 1.5 // second back-off: 1 s from 0.6
    await burst()
    expect(intercepted).toBe(2)
    bed.clock.seconds = EXPIRED + 1.7
    await burst()
    expect(intercepted).toBe(3)
    expect(bed.provider.counters.token.refresh_token).toBeUndefined()
  })

  it('an HTML body (200 text/html) is transient: session kept', async () => {
    const { cookie } = await session()
    mode = 'html'
    bed.clock.seconds = EXPIRED
    const error = expectTransient(await bed.auth.authenticate(bed.request(cookie)))
    expect(error.message).toMatch(/refresh failed/)
    expect(intercepted).toBe(1)
  })

  it('a timeout (http.timeoutMs, AbortSignal) is transient: session kept', async () => {
    const { cookie } = await session()
    mode = 'timeout'
    bed.clock.seconds = EXPIRED
    const error = expectTransient(await bed.auth.authenticate(bed.request(cookie)))
    expect(error.message).toContain('timed out')
    expect(intercepted).toBe(1)
  })

  it('a network error is transient: session kept', async () => {
    const { cookie } = await session()
    mode = 'network'
    bed.clock.seconds = EXPIRED
    expectTransient(await bed.auth.authenticate(bed.request(cookie)))
    expect(intercepted).toBe(1)
  })
})

describe('invalid_grant ends the session', () => {
  it('a refresh token revoked at the provider: refresh-rejected, cookies cleared, sessionEnded', async () => {
    const { cookie } = await session()
    const loaded = await bed.auth.authenticate(bed.request(cookie))
    const revoke = await fetch(`${bed.provider.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${btoa(`${bed.clientId}:${bed.clientSecret}`)}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: loaded.session!.tokens.refreshToken! }),
    })
    expect(revoke.status).toBe(200)
    bed.events.length = 0

    bed.clock.seconds = DUE // even a still-valid access token is not served after invalid_grant
    const result = await bed.auth.authenticate(bed.request(cookie))
    expect(result.session).toBeNull()
    expect(result.reason).toBe('refresh-rejected')
    expect(result.error).toBeInstanceOf(RefreshRejectedError)
    expect(result.error?.code).toBe('ERR_REFRESH_INVALID_GRANT')
    expect(result.error?.transient).toBe(false)
    expect(bed.provider.counters.tokenErrors.invalid_grant).toBe(1)
    const cleared = result.headers.getSetCookie()
    expect(cleared.length).toBeGreaterThan(0)
    for (const line of cleared) expect(line).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i)
    expect(bed.events).toEqual([
      {
        name: 'refreshError',
        payload: expect.objectContaining({ code: 'ERR_REFRESH_INVALID_GRANT', transient: false }),
      },
      {
        name: 'sessionEnded',
        payload: { sessionId: expect.any(String), sub: 'erin', reason: 'refresh-rejected' },
      },
    ])
    const api = await bed.auth.protect(bed.request(cookie))
    expect(api.response?.status).toBe(401)
    const error = await bed.auth.accessToken(bed.request(cookie)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SessionRequiredError)
    expect((error as SessionRequiredError).reason).toBe('refresh-rejected')
    // The rejection is remembered: no further provider call for the dead token.
    expect(bed.provider.counters.token.refresh_token).toBe(1)
  })
})

describe('connection refused (the real provider stopped)', () => {
  it('is transient: session kept, provider-unavailable once expired', async () => {
    const { cookie, accessToken } = await session()
    await bed.provider.close()
    providerClosed = true
    bed.clock.seconds = DUE
    const due = await bed.auth.authenticate(bed.request(cookie))
    expect(due.reason).toBe('refresh-deferred')
    expect(due.session!.tokens.accessToken).toBe(accessToken)
    expect(due.warning).toBeInstanceOf(ProviderUnavailableError)
    bed.clock.seconds = EXPIRED
    expectTransient(await bed.auth.authenticate(bed.request(cookie)))
    expect(intercepted).toBe(0)
  })
})
