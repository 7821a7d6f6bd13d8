/**
 * Conformance of RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) and of token
 * revocation (RFC 7009) against the real provider: what the logout request carries, that the
 * provider accepts it and comes back to the registered post-logout URI, and how the revocation
 * request is made and its answers read.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ProviderUnavailableError } from 'oidc-session'
import { revokeToken } from '../../src/oidc/end-session.js'
import { createProviderContext, type ProviderContext } from '../../src/oidc/provider.js'
import { Agent } from '../fixtures/agent.js'
import { tryRefresh } from '../fixtures/app-bed.js'
import type { ProviderContext as KoaContext } from '../fixtures/provider.js'
import { startConformance, type Conformance } from './support.js'

let h: Conformance
/** Answer the next revocation requests with this status instead of the provider's answer. */
let revocationStatus: number | undefined
let context: ProviderContext

beforeAll(async () => {
  const outage = async (ctx: KoaContext, next: () => Promise<void>) => {
    if (revocationStatus !== undefined && ctx.path === '/token/revocation') {
      ctx.status = revocationStatus
      ctx.type = 'application/json'
      ctx.body = { error: 'temporarily_unavailable' }
      return
    }
    await next()
  }
  h = await startConformance({ provider: { middleware: [outage] } })
  context = createProviderContext({
    issuer: new URL(h.provider.issuer),
    client: { id: h.clientId, secret: h.clientSecret, authMethod: 'client_secret_basic' },
    redirectUri: new URL(`${h.url}/callback`),
    scope: 'openid offline_access',
    scopeExplicit: true,
    provider: undefined,
    authorizationParams: {},
    timeoutMs: 5_000,
    allowInsecureRequests: true,
    fetch: undefined,
    clockToleranceSeconds: 0,
    now: Date.now,
  })
})
afterAll(async () => {
  await h?.close()
})
afterEach(() => {
  h.reset()
  revocationStatus = undefined
})

function logoutRequest(cookie: string): Request {
  return new Request(`${h.url}/logout`, {
    headers: { cookie, 'sec-fetch-site': 'same-origin', accept: 'text/html' },
  })
}

/** The session's tokens as the relying party holds them. */
async function tokensOf(cookie: string) {
  const result = await h.auth.authenticate(h.request(cookie))
  if (!result.session) throw new Error(`no session (${result.reason})`)
  return result.session.tokens
}

describe('OpenID Connect RP-Initiated Logout 1.0', () => {
  it('redirects the user agent to the end_session_endpoint from discovery, with id_token_hint, client_id, post_logout_redirect_uri and state', async () => {
    const cookie = await h.login()
    const { idToken } = await tokensOf(cookie)
    const response = await h.auth.logout(logoutRequest(cookie))
    expect(response.status).toBe(302)
    const target = new URL(response.headers.get('location')!)
    const discovery = (await (
      await fetch(`${h.provider.issuer}/.well-known/openid-configuration`)
    ).json()) as { end_session_endpoint: string }
    expect(`${target.origin}${target.pathname}`).toBe(discovery.end_session_endpoint)
    expect(target.searchParams.get('id_token_hint')).toBe(idToken)
    expect(target.searchParams.get('client_id')).toBe(h.clientId)
    expect(target.searchParams.get('post_logout_redirect_uri')).toBe(`${h.url}/`)
    expect(target.searchParams.get('state')).toMatch(/^[\w-]{16,}$/)
  })

  it('the provider accepts the logout request and returns to the registered post_logout_redirect_uri with the state', async () => {
    const cookie = await h.login()
    const response = await h.auth.logout(logoutRequest(cookie))
    const target = new URL(response.headers.get('location')!)
    const landed = await new Agent().logoutAtProvider(target.href)
    await landed.response.body?.cancel()
    const back = new URL(landed.url)
    expect(`${back.origin}${back.pathname}`).toBe(`${h.url}/`)
    expect(back.searchParams.get('state')).toBe(target.searchParams.get('state'))
  })

  it('names the client with client_id when there is no id_token_hint (no session)', async () => {
    const response = await h.auth.logout(logoutRequest(''))
    const target = new URL(response.headers.get('location')!)
    expect(target.searchParams.has('id_token_hint')).toBe(false)
    expect(target.searchParams.get('client_id')).toBe(h.clientId)
    expect(target.searchParams.get('post_logout_redirect_uri')).toBe(`${h.url}/`)
  })

  it('ends the local session before redirecting: the cookie is expired and refused afterwards', async () => {
    const cookie = await h.login()
    const response = await h.auth.logout(logoutRequest(cookie))
    expect(
      response.headers
        .getSetCookie()
        .some((l) => /^oidc_session=;/.test(l) && /Max-Age=0/i.test(l)),
    ).toBe(true)
    const after = await h.auth.authenticate(h.request(cookie))
    expect(after.session).toBeNull()
  })
})

describe('RFC 7009 token revocation', () => {
  it('logout POSTs the refresh token to the revocation endpoint with token_type_hint refresh_token, authenticated as at the token endpoint', async () => {
    const cookie = await h.login()
    const { refreshToken } = await tokensOf(cookie)
    const before = h.provider.counters.revocation
    await h.auth.logout(logoutRequest(cookie))
    expect(h.provider.counters.revocation).toBe(before + 1)
    const [sent] = h.revocations
    expect(sent?.get('token')).toBe(refreshToken)
    expect(sent?.get('token_type_hint')).toBe('refresh_token')
    // Revoked (the provider authenticated the client, or it would have answered invalid_client).
    expect(await tryRefresh(h, refreshToken!)).toEqual({ status: 400, error: 'invalid_grant' })
  })

  it('treats 200 for an unknown or already revoked token as success (§2.2)', async () => {
    expect(
      await revokeToken(context, 'an-unknown-token-an-unknown-token', 'refresh_token', 5_000),
    ).toBe(true)
    const cookie = await h.login()
    const { refreshToken, accessToken } = await tokensOf(cookie)
    expect(await revokeToken(context, refreshToken!, 'refresh_token', 5_000)).toBe(true)
    expect(await revokeToken(context, refreshToken!, 'refresh_token', 5_000)).toBe(true)
    expect(await revokeToken(context, accessToken, 'access_token', 5_000)).toBe(true)
    expect(h.revocations.map((body) => body.get('token_type_hint'))).toEqual([
      'refresh_token',
      'refresh_token',
      'refresh_token',
      'access_token',
    ])
    // A logout whose refresh token is already revoked completes as usual.
    const response = await h.auth.logout(logoutRequest(cookie))
    expect(response.status).toBe(302)
  })

  it('a 503 from the revocation endpoint is a transient failure (the token is assumed to live on), and the logout still completes', async () => {
    const cookie = await h.login()
    const { refreshToken } = await tokensOf(cookie)
    revocationStatus = 503
    const error = await revokeToken(context, refreshToken!, 'refresh_token', 5_000).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ProviderUnavailableError)
    expect((error as ProviderUnavailableError).transient).toBe(true)
    const response = await h.auth.logout(logoutRequest(cookie))
    expect(response.status).toBe(302)
    // The token was not revoked: it still works at the provider.
    revocationStatus = undefined
    expect((await tryRefresh(h, refreshToken!)).status).toBe(200)
  })
})
