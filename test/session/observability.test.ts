/**
 * Observability through the public API against the real provider: `onEvent` receives the stable,
 * token-free event schema (login, refresh with its source, refresh failure, session ended with its
 * reason, logout, back-channel logout, cookie chunk count and size), and the OpenTelemetry adapter
 * (`oidc-session/otel`) turns provider calls into spans and events into metrics — again without a
 * token anywhere.
 */
import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  Span,
  SpanOptions,
  Tracer,
} from '@opentelemetry/api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OidcSessionEvent } from 'oidc-session'
import { openTelemetry } from 'oidc-session/otel'
import { absorb, startAppBed, type AppBed } from '../fixtures/app-bed.js'
import { startProvider, type TestProvider } from '../fixtures/provider.js'

/** A recording tracer and meter: just enough of the API for the adapter. */
function recorder() {
  const spans: { name: string; attributes: Attributes; status?: number; ended: boolean }[] = []
  const points: { name: string; value: number; attributes: Attributes }[] = []
  const tracer = {
    startActiveSpan(name: string, options: SpanOptions, fn: (span: Span) => unknown) {
      const record = {
        name,
        attributes: { ...options.attributes },
        ended: false,
      } as (typeof spans)[number]
      spans.push(record)
      const span = {
        setAttribute(key: string, value: unknown) {
          record.attributes[key] = value as string
          return span
        },
        setStatus(status: { code: number }) {
          record.status = status.code
          return span
        },
        end() {
          record.ended = true
        },
      }
      return fn(span as unknown as Span)
    },
  } as unknown as Tracer
  const instrument = (name: string) => ({
    add: (value: number, attributes: Attributes = {}) => points.push({ name, value, attributes }),
    record: (value: number, attributes: Attributes = {}) =>
      points.push({ name, value, attributes }),
  })
  const meter = {
    createCounter: (name: string) => instrument(name) as unknown as Counter,
    createHistogram: (name: string) => instrument(name) as unknown as Histogram,
  } as unknown as Meter
  return { tracer, meter, spans, points }
}

let provider: TestProvider
let bed: AppBed
const events: OidcSessionEvent[] = []
const otel = recorder()

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
  const instrumentation = openTelemetry({ tracer: otel.tracer, meter: otel.meter })
  bed = await startAppBed({
    provider,
    session: {
      http: { fetch: instrumentation.fetch },
      onEvent(event) {
        events.push(event)
        instrumentation.onEvent(event)
      },
    },
  })
  bed.clock.frozenAt = Date.now()
})

afterAll(async () => {
  await bed?.close()
  await provider?.close()
})

/** Every string a session holds that must never appear in an event, span or metric. */
async function secretsOf(cookie: string): Promise<string[]> {
  const result = await bed.auth.authenticate(bed.request(cookie))
  if (!result.ok) throw new Error('no session')
  const { accessToken, refreshToken, idToken } = result.session.tokens
  const values = cookie.split('; ').map((pair) => pair.slice(pair.indexOf('=') + 1))
  return [accessToken, refreshToken ?? '', idToken ?? '', ...values].filter((s) => s.length > 16)
}

describe('onEvent', () => {
  it('reports a session’s life in the stable schema, with no token, cookie or secret', async () => {
    events.length = 0
    const agent = await bed.login('observed')
    const before = bed.cookieOf(agent)
    const secrets = await secretsOf(before)
    bed.clock.seconds = 400
    // A burst: one provider call, the others share it in process.
    const burst = await Promise.all(
      Array.from({ length: 5 }, () => bed.auth.authenticate(bed.request(before))),
    )
    const after = absorb(agent, bed.url, burst[0]?.headers ?? new Headers())
    secrets.push(...(await secretsOf(after)))
    const logout = await bed.auth.logout(
      new Request(`${bed.url}/logout`, {
        method: 'POST',
        headers: { cookie: after, origin: bed.url, accept: 'text/html' },
      }),
    )
    expect(logout.status).toBe(302)

    const types = events.map((e) => e.type)
    expect(types).toContain('login')
    expect(types).toContain('cookie-written')
    expect(types).toContain('logout')
    const login = events.find((e) => e.type === 'login')
    expect(login).toMatchObject({ type: 'login', sub: 'observed', sessionId: expect.any(String) })
    const sources = events.flatMap((e) => (e.type === 'refresh' ? [e.source] : []))
    expect(sources.filter((s) => s === 'provider')).toHaveLength(1)
    expect(sources.length).toBe(5)
    expect(sources.every((s) => ['provider', 'shared', 'cache'].includes(s))).toBe(true)
    const written = events.find((e) => e.type === 'cookie-written')
    expect(written).toMatchObject({ chunks: expect.any(Number), bytes: expect.any(Number) })
    if (written?.type === 'cookie-written') {
      expect(written.chunks).toBeGreaterThanOrEqual(1)
      expect(written.bytes).toBeGreaterThan(100)
    }
    expect(events.find((e) => e.type === 'session-ended')).toMatchObject({ reason: 'logout' })
    for (const event of events) expect(typeof event.time).toBe('number')
    const text = JSON.stringify(events)
    for (const secret of secrets) expect(text).not.toContain(secret)
  })

  it('reports a refused refresh as refresh-error and session-ended (refresh-rejected)', async () => {
    const agent = await bed.login('rejected')
    const cookie = bed.cookieOf(agent)
    const result = await bed.auth.authenticate(bed.request(cookie))
    const token = result.ok ? (result.session.tokens.refreshToken ?? '') : ''
    // The grant ends at the provider: the next refresh is refused.
    await fetch(`${provider.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${bed.clientId}:${bed.clientSecret}`)}`,
      },
      body: new URLSearchParams({ token, token_type_hint: 'refresh_token' }),
    })
    events.length = 0
    bed.clock.seconds = 800
    const refused = await bed.auth.authenticate(bed.request(cookie))
    expect(refused).toMatchObject({ ok: false, reason: 'refresh-rejected' })
    expect(events.find((e) => e.type === 'refresh-error')).toMatchObject({
      code: 'ERR_REFRESH_INVALID_GRANT',
      transient: false,
    })
    expect(events.find((e) => e.type === 'session-ended')).toMatchObject({
      reason: 'refresh-rejected',
    })
    expect(JSON.stringify(events)).not.toContain(token)
  })
})

describe('oidc-session/otel', () => {
  it('puts provider calls in CLIENT spans (path only) and counts events, with no token', () => {
    const token = otel.spans.find((s) => s.attributes['url.path'] === '/token')
    expect(token).toMatchObject({
      name: 'oidc-session POST',
      ended: true,
      attributes: { 'http.request.method': 'POST', 'server.address': '127.0.0.1' },
    })
    expect(token?.attributes['http.response.status_code']).toBe(200)
    expect(
      otel.spans.some((s) => s.attributes['url.path'] === '/.well-known/openid-configuration'),
    ).toBe(true)
    for (const span of otel.spans) expect(String(span.attributes['url.path'])).not.toContain('?')
    const total = (name: string, attributes: Attributes = {}) =>
      otel.points
        .filter(
          (p) =>
            p.name === name && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
        )
        .reduce((sum, p) => sum + p.value, 0)
    expect(total('oidc_session.logins')).toBeGreaterThanOrEqual(2)
    expect(total('oidc_session.refreshes', { source: 'provider' })).toBe(1)
    expect(total('oidc_session.refresh_errors', { code: 'ERR_REFRESH_INVALID_GRANT' })).toBe(1)
    expect(total('oidc_session.sessions_ended', { reason: 'logout' })).toBe(1)
    expect(total('oidc_session.logouts')).toBe(1)
    expect(otel.points.some((p) => p.name === 'oidc_session.cookie.bytes' && p.value > 100)).toBe(
      true,
    )
    // Metric attributes are few and never identify a user or hold a token.
    for (const point of otel.points)
      for (const key of Object.keys(point.attributes))
        expect(['silent', 'source', 'code', 'transient', 'reason', 'error']).toContain(key)
  })
})
