/**
 * No token, authorization code, state or secret reaches an error or its cause chain: error
 * reporters serialise `cause` chains, so every error the fault paths produce is inspected in full
 * (`util.inspect(error, { depth: Infinity })`). msw plays the provider's faults.
 */
import { inspect } from 'node:util'
import { http, HttpResponse, passthrough } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CallbackError, OidcSessionError } from 'oidc-session'
import { Agent } from '../fixtures/agent.js'
import { startAppBed, type AppBed } from '../fixtures/app-bed.js'

type Fault = 'none' | 'malformed-refresh' | 'malformed-code' | 'refused-refresh' | 'html'
let fault: Fault = 'none'
let bed: AppBed
const server = setupServer()
/** Every secret-looking value the fault responses carried. */
const planted = {
  accessToken: 'PLANTED-ACCESS-TOKEN-0123456789abcdefghij',
  refreshToken: 'PLANTED-REFRESH-TOKEN-0123456789abcdefghij',
  idToken: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJQTEFOVEVEIn0.PLANTED-ID-TOKEN',
}

beforeAll(async () => {
  bed = await startAppBed()
  const issuer = bed.provider.issuer
  server.resetHandlers(
    http.post(`${issuer}/token`, async ({ request }) => {
      const body = await request.clone().text()
      const refresh = body.includes('grant_type=refresh_token')
      if (fault === 'malformed-refresh' && refresh)
        // A token response with every token, but an invalid shape (no token_type).
        return HttpResponse.json({
          access_token: planted.accessToken,
          refresh_token: planted.refreshToken,
          id_token: planted.idToken,
          expires_in: 'soon',
        })
      if (fault === 'malformed-code' && !refresh)
        return HttpResponse.json({
          access_token: planted.accessToken,
          id_token: planted.idToken,
          token_type: 'Bearer',
        })
      if (fault === 'refused-refresh' && refresh)
        return HttpResponse.json(
          { error: 'invalid_client', error_description: 'client authentication failed' },
          { status: 400 },
        )
      if (fault === 'html' && refresh)
        return new HttpResponse(`<html>${planted.refreshToken}</html>`, {
          status: 502,
          headers: { 'content-type': 'text/html' },
        })
      return passthrough()
    }),
    http.all(`${issuer}/*`, () => passthrough()),
    http.all(`${bed.url}/*`, () => passthrough()),
  )
  server.listen({ onUnhandledRequest: 'error' })
})

afterAll(async () => {
  server.close()
  await bed?.close()
})

beforeEach(() => {
  fault = 'none'
  bed.clock.seconds = 0
})

/** The whole error, cause chain included, as a reporter would print it. */
function printed(error: unknown): string {
  return inspect(error, { depth: Infinity, showHidden: false }) + JSON.stringify(error)
}

function expectClean(error: unknown, secrets: readonly string[]): void {
  expect(error).toBeInstanceOf(OidcSessionError)
  const text = printed(error)
  for (const secret of [...secrets, ...Object.values(planted), bed.clientSecret])
    expect(text).not.toContain(secret)
}

describe('errors carry no secret in their cause chain (no-secrets-in-causes)', () => {
  for (const kind of ['malformed-refresh', 'refused-refresh', 'html'] as const) {
    it(`a ${kind} answer to a refresh`, async () => {
      const agent = await bed.login(`cause-${kind}`)
      const cookie = bed.cookieOf(agent)
      const { session } = await bed.auth.authenticate(bed.request(cookie))
      const tokens = session!.tokens
      fault = kind
      bed.clock.seconds = 400
      const result = await bed.auth.authenticate(bed.request(cookie))
      expect(result.ok).toBe(false)
      expectClean(result.error, [tokens.accessToken, tokens.refreshToken!, tokens.idToken!])
    })
  }

  it('a malformed answer to the code exchange', async () => {
    fault = 'malformed-code'
    const error = await loginWithFault()
    expect(error).toBeInstanceOf(OidcSessionError)
    expectClean(error, [])
  })

  it('a state mismatch: neither the code nor the expected state appear', async () => {
    const start = await bed.auth.login(new Request(`${bed.url}/login`))
    const authorization = new URL(start.headers.get('location')!)
    const state = authorization.searchParams.get('state')!
    const txCookie = start.headers.getSetCookie()[0]!.split(';')[0]!
    const code = 'PLANTED-AUTHORIZATION-CODE-0123456789'
    // The transaction cookie is found by the state's prefix, but the state itself differs.
    const forged = `${state.slice(0, 16)}${'x'.repeat(Math.max(1, state.length - 16))}`
    let caught: unknown
    try {
      await bed.auth.callback(
        new Request(`${bed.url}/callback?code=${code}&state=${forged}`, {
          headers: { cookie: txCookie },
        }),
      )
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(CallbackError)
    expect((caught as CallbackError).code).toBe('ERR_CALLBACK_STATE_MISMATCH')
    expectClean(caught, [code, state, forged])
  })
})

/** Run a login whose code exchange hits the current fault; the callback's error. */
async function loginWithFault(): Promise<unknown> {
  const start = await bed.auth.login(new Request(`${bed.url}/login`))
  const tx = start.headers.getSetCookie()[0]!.split(';')[0]!
  // The browser signs in at the provider and comes back to the app's callback without the
  // transaction cookie (held here): the app refuses it, the code stays unused for this test.
  const { url: arrived } = await new Agent().login(start.headers.get('location')!, {
    username: 'fault-user',
  })
  expect(new URL(arrived).pathname).toBe('/callback')
  try {
    await bed.auth.callback(new Request(arrived, { headers: { cookie: tx } }))
  } catch (error) {
    return error
  }
  throw new Error('the callback succeeded')
}
