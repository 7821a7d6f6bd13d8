/**
 * Login and callback through the public API, against the real provider: the authorization request
 * (PKCE S256, state, nonce, the transaction cookie), the callback's new session, and every failed
 * callback deleting the transaction cookie it used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CallbackError } from 'oidc-session'
import { Agent } from '../fixtures/agent.js'
import { startAppBed, type AppBed } from '../fixtures/app-bed.js'

let bed: AppBed

beforeAll(async () => {
  bed = await startAppBed()
})
afterAll(async () => {
  await bed?.close()
})

/** A login started by the core: the provider URL and the transaction cookie. */
async function start(query = ''): Promise<{ location: URL; tx: string; txName: string }> {
  const response = await bed.auth.login(new Request(`${bed.url}/login${query}`))
  expect(response.status).toBe(302)
  const [line] = response.headers.getSetCookie()
  const pair = line!.split(';')[0]!
  return {
    location: new URL(response.headers.get('location')!),
    tx: pair,
    txName: pair.slice(0, pair.indexOf('=')),
  }
}

describe('login', () => {
  it('redirects to the provider with PKCE S256, state, nonce and a sealed transaction cookie', async () => {
    const { location, tx, txName } = await start('?returnTo=/orders')
    expect(location.origin + location.pathname).toBe(`${bed.provider.issuer}/auth`)
    const params = location.searchParams
    expect(params.get('response_type')).toBe('code')
    expect(params.get('code_challenge_method')).toBe('S256')
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    expect(params.get('redirect_uri')).toBe(`${bed.url}/callback`)
    expect(params.get('scope')).toBe('openid profile offline_access')
    expect(txName.startsWith('oidc_session_tx.')).toBe(true)
    // Sealed: neither the state, the nonce nor the return path is readable in the cookie.
    expect(tx).not.toContain(params.get('state')!.slice(16))
    expect(tx).not.toContain('/orders')
  })

  it('the handler passes only allow-listed query parameters to the provider', async () => {
    const response = (await bed.auth.handler(
      new Request(
        `${bed.url}/login?prompt=login&login_hint=a%40b.example&ui_locales=de&redirect_uri=https://evil.example&client_id=evil&foo=bar`,
      ),
    ))!
    const params = new URL(response.headers.get('location')!).searchParams
    expect(params.get('prompt')).toBe('login')
    expect(params.get('login_hint')).toBe('a@b.example')
    expect(params.get('ui_locales')).toBe('de')
    expect(params.get('redirect_uri')).toBe(`${bed.url}/callback`)
    expect(params.get('client_id')).toBe(bed.clientId)
    expect(params.has('foo')).toBe(false)
  })

  it('refuses to let a caller set a managed parameter', async () => {
    await expect(
      bed.auth.login(new Request(`${bed.url}/login`), { authorizationParams: { state: 'x' } }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' })
  })
})

describe('callback', () => {
  it('creates a new session and lands on returnTo, deleting the transaction cookie', async () => {
    const agent = new Agent()
    const { response, url } = await agent.login(`${bed.url}/login?returnTo=/api/me`, {
      username: 'callback-user',
    })
    expect(response.status).toBe(200)
    expect(new URL(url).pathname).toBe('/api/me')
    expect(agent.jar.all().some((c) => c.name.includes('_tx.'))).toBe(false)
    expect(agent.jar.all().map((c) => c.name)).toContain('oidc_session')
  })

  for (const [name, query] of [
    ['no state', '?code=abc'],
    ['an unknown state', '?code=abc&state=unknown-state-unknown'],
    ['a provider error', '?error=access_denied&state=STATE'],
    ['a state that does not match', '?code=abc&state=MISMATCH'],
  ] as const) {
    it(`a failed callback (${name}) deletes the transaction cookie it used (failed-callback-deletes-tx)`, async () => {
      const { location, tx, txName } = await start()
      const state = location.searchParams.get('state')!
      const mismatched = `${state.slice(0, 16)}${'z'.repeat(state.length - 16)}`
      const url = `${bed.url}/callback${query.replace('STATE', state).replace('MISMATCH', mismatched)}`
      const response = (await bed.auth.handler(
        new Request(url, { headers: { cookie: tx, accept: 'text/html' } }),
      ))!
      expect(response.status).toBe(400)
      const lines = response.headers.getSetCookie()
      if (name === 'no state' || name === 'an unknown state') {
        // No transaction was used: nothing to delete.
        expect(lines).toEqual([])
      } else {
        expect(lines.some((l) => l.startsWith(`${txName}=;`) && /Max-Age=0/i.test(l))).toBe(true)
      }
    })
  }

  it('carries the deletion on the thrown CallbackError too (errors keep their Set-Cookie lines)', async () => {
    const { location, tx, txName } = await start()
    const state = location.searchParams.get('state')!
    let caught: unknown
    try {
      await bed.auth.callback(
        new Request(
          `${bed.url}/callback?error=access_denied&state=${state}&iss=${encodeURIComponent(bed.provider.issuer)}`,
          {
            headers: { cookie: tx },
          },
        ),
      )
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(CallbackError)
    const error = caught as CallbackError
    expect(error.code).toBe('ERR_CALLBACK_PROVIDER_ERROR')
    expect(error.error).toBe('access_denied')
    expect(error.headers.getSetCookie().some((l) => l.startsWith(`${txName}=;`))).toBe(true)
    const answer = bed.auth.errorResponse({ url: '/callback', headers: {} }, error)
    expect(answer.headers.getSetCookie().some((l) => l.startsWith(`${txName}=;`))).toBe(true)
  })
})
