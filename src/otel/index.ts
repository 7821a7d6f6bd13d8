/**
 * OpenTelemetry for oidc-session (`oidc-session/otel`): spans for the calls to the provider and
 * metrics from the session events. `@opentelemetry/api` is an optional peer dependency; the core
 * never imports this module.
 *
 * @module oidc-session/otel
 */
import {
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Meter,
  type Tracer,
} from '@opentelemetry/api'
import type { OidcSessionEvent } from '../session/observe.js'

/** Options of {@link openTelemetry}. */
export interface OpenTelemetryOptions {
  /** Where spans go. Default: `trace.getTracer('oidc-session')` (the global tracer provider). */
  tracer?: Tracer
  /** Where metrics go. Default: `metrics.getMeter('oidc-session')` (the global meter provider). */
  meter?: Meter
  /** The `fetch` to wrap. Default: `globalThis.fetch`, looked up at each call. */
  fetch?: typeof fetch
}

/** What {@link openTelemetry} returns: pass both to `createOidcSession`. */
export interface OpenTelemetryInstrumentation {
  /** For `http.fetch`: every call to the provider in a `CLIENT` span. */
  fetch: typeof fetch
  /** For `onEvent`: counters and histograms of the session events. */
  onEvent: (event: OidcSessionEvent) => void
}

/**
 * Instrument oidc-session with OpenTelemetry.
 *
 * Spans: one `CLIENT` span per provider call (discovery, JWKS, token, refresh, revocation,
 * UserInfo, PAR), named `oidc-session <METHOD>`, with `http.request.method`, `server.address`,
 * `url.path` (never the query or the body: they hold codes and tokens) and
 * `http.response.status_code`; a network failure or a `5xx` sets the error status.
 *
 * Metrics (all counters unless said): `oidc_session.logins` (`silent`), `oidc_session.refreshes`
 * (`source`: `provider`, `shared`, `cache`), `oidc_session.refresh_errors` (`code`,
 * `transient`), `oidc_session.sessions_ended` (`reason`), `oidc_session.logouts`,
 * `oidc_session.backchannel_logouts`, `oidc_session.silent_login_failures` (`error`), and the
 * histograms `oidc_session.cookie.bytes` and `oidc_session.cookie.chunks`. No attribute holds a
 * token, a `sub` or a session id (metric attributes must stay few).
 *
 * @param options see {@link OpenTelemetryOptions}
 * @returns `fetch` and `onEvent` to pass to `createOidcSession`
 * @example
 * ```ts
 * import { openTelemetry } from 'oidc-session/otel'
 *
 * const otel = openTelemetry()
 * const auth = createOidcSession({ ...options, http: { fetch: otel.fetch }, onEvent: otel.onEvent })
 * ```
 * @see https://opentelemetry.io/docs/specs/semconv/http/http-spans/
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): OpenTelemetryInstrumentation {
  const tracer = options.tracer ?? trace.getTracer('oidc-session')
  const meter = options.meter ?? metrics.getMeter('oidc-session')
  const counter = (name: string, description: string) => meter.createCounter(name, { description })
  const logins = counter('oidc_session.logins', 'Completed logins')
  const refreshes = counter('oidc_session.refreshes', 'Token refreshes, by source')
  const refreshErrors = counter('oidc_session.refresh_errors', 'Failed refreshes')
  const ended = counter('oidc_session.sessions_ended', 'Ended sessions, by reason')
  const logouts = counter('oidc_session.logouts', 'RP-initiated logouts')
  const backchannel = counter('oidc_session.backchannel_logouts', 'Back-channel logouts')
  const silentFailures = counter(
    'oidc_session.silent_login_failures',
    'Silent logins that came back without a session',
  )
  const cookieBytes = meter.createHistogram('oidc_session.cookie.bytes', {
    description: 'Bytes of Cookie header a written session takes',
    unit: 'By',
  })
  const cookieChunks = meter.createHistogram('oidc_session.cookie.chunks', {
    description: 'Cookies a written session takes',
  })

  const onEvent = (event: OidcSessionEvent): void => {
    switch (event.type) {
      case 'login':
        logins.add(1, { silent: event.silent === true })
        break
      case 'refresh':
        refreshes.add(1, { source: event.source })
        break
      case 'refresh-error':
        refreshErrors.add(1, { code: event.code, transient: event.transient })
        break
      case 'session-ended':
        ended.add(1, { reason: event.reason })
        break
      case 'logout':
        logouts.add(1)
        break
      case 'backchannel-logout':
        backchannel.add(1)
        break
      case 'silent-login-failed':
        silentFailures.add(1, { error: event.error })
        break
      case 'cookie-written':
        cookieBytes.record(event.bytes)
        cookieChunks.record(event.chunks)
        break
      default:
        break
    }
  }

  const instrumented = async (
    input: Parameters<typeof fetch>[0],
    init?: Parameters<typeof fetch>[1],
  ): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
    const attributes: Attributes = {
      'http.request.method': method,
      'server.address': url.hostname,
      'url.path': url.pathname,
      ...(url.port ? { 'server.port': Number(url.port) } : {}),
    }
    return tracer.startActiveSpan(
      `oidc-session ${method}`,
      { kind: SpanKind.CLIENT, attributes },
      async (span) => {
        try {
          const response = await (options.fetch ?? globalThis.fetch)(input, init)
          span.setAttribute('http.response.status_code', response.status)
          if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
          return response
        } catch (error) {
          // The error's name only: a message may quote a URL with its query.
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error instanceof Error ? error.name : 'Error',
          })
          throw error
        } finally {
          span.end()
        }
      },
    )
  }
  return { fetch: instrumented as typeof fetch, onEvent }
}

export type { OidcSessionEvent }
