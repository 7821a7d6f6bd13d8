/**
 * Logout token validation (Back-Channel Logout 1.0 §2.6) through `backchannelLogout`, against the
 * real provider's JWKS. Test tokens are signed with the provider's own key (the fixture is started
 * with keys this test generated, `jwks` option), the forged one with a key the provider does not
 * publish, under the same `kid`.
 */
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOidcSession, type OidcSession } from 'oidc-session'
import { DEFAULT_CLIENT, startProvider, type TestProvider } from '../fixtures/provider.js'

const EVENT = 'http://schemas.openid.net/event/backchannel-logout'
const KID = 'test-rs256'

let provider: TestProvider
let providerKey: CryptoKey
let foreignKey: CryptoKey
let auth: OidcSession
let clock = 0 // seconds added to the relying party's clock

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true })
  providerKey = pair.privateKey
  foreignKey = (await generateKeyPair('RS256')).privateKey
  const jwk: JWK = { ...(await exportJWK(pair.privateKey)), alg: 'RS256', use: 'sig', kid: KID }
  provider = await startProvider({ jwks: [jwk] })
  auth = createOidcSession({
    issuer: provider.issuer,
    client: { id: DEFAULT_CLIENT.id, secret: DEFAULT_CLIENT.secret },
    redirectUri: 'http://127.0.0.1/callback',
    secrets: ['logout-token-secret-logout-token-secret-01'],
    now: () => Date.now() + clock * 1000,
  })
})

afterAll(async () => {
  await provider?.close()
})

let jtis = 0
async function token(
  claims: JWTPayload = {},
  options: { key?: CryptoKey; typ?: string | null; alg?: string; omit?: string[] } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const payload: JWTPayload = {
    iss: provider.issuer,
    aud: DEFAULT_CLIENT.id,
    iat: now,
    exp: now + 120,
    jti: `jti-${++jtis}-${Math.random()}`,
    sub: 'alice',
    sid: 'sid-1',
    events: { [EVENT]: {} },
    ...claims,
  }
  for (const name of options.omit ?? []) delete payload[name]
  const header: { alg: string; kid: string; typ?: string } = {
    alg: options.alg ?? 'RS256',
    kid: KID,
  }
  if (options.typ !== null) header.typ = options.typ ?? 'logout+jwt'
  return new SignJWT(payload).setProtectedHeader(header).sign(options.key ?? providerKey)
}

function post(body: string, contentType = 'application/x-www-form-urlencoded'): Request {
  return new Request('http://127.0.0.1/backchannel-logout', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  })
}

async function send(logoutToken: string): Promise<Response> {
  return auth.backchannelLogout(post(new URLSearchParams({ logout_token: logoutToken }).toString()))
}

async function expectRejected(response: Response, description: RegExp): Promise<void> {
  expect(response.status).toBe(400)
  expect(response.headers.get('cache-control')).toBe('no-store')
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  const body = (await response.json()) as { error: string; error_description: string }
  expect(body.error).toBe('invalid_request')
  expect(body.error_description).toMatch(description)
}

describe('logout token validation', () => {
  it('accepts a valid token with 200, no-store (typ absent or logout+jwt)', async () => {
    const ok = await send(await token())
    expect(ok.status).toBe(200)
    expect(ok.headers.get('cache-control')).toBe('no-store')
    expect((await send(await token({}, { typ: null }))).status).toBe(200)
    expect((await send(await token({}, { typ: 'application/logout+jwt' }))).status).toBe(200)
    expect((await send(await token({}, { omit: ['sid'] }))).status).toBe(200) // sub only
    expect((await send(await token({}, { omit: ['sub'] }))).status).toBe(200) // sid only
  })

  it('rejects a forged token (signed by a key the provider does not publish)', async () => {
    await expectRejected(await send(await token({}, { key: foreignKey })), /bad signature/)
  })

  it('rejects an expired token, beyond the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000)
    await expectRejected(await send(await token({ iat: now - 200, exp: now - 100 })), /expired/)
    // Inside the 30 s tolerance it is still accepted.
    expect((await send(await token({ iat: now - 100, exp: now - 10 }))).status).toBe(200)
  })

  it('rejects a token when the relying party clock is past its exp', async () => {
    const raw = await token()
    clock = 300
    try {
      await expectRejected(await send(raw), /expired/)
    } finally {
      clock = 0
    }
  })

  it('rejects a replayed token (same jti), and only the second delivery', async () => {
    const raw = await token()
    expect((await send(raw)).status).toBe(200)
    await expectRejected(await send(raw), /"jti" was already used/)
  })

  it('rejects a wrong audience and a wrong issuer', async () => {
    await expectRejected(await send(await token({ aud: 'someone-else' })), /"aud"/)
    await expectRejected(await send(await token({ iss: 'http://127.0.0.1:1' })), /"iss"/)
  })

  it('rejects a token carrying a nonce', async () => {
    await expectRejected(await send(await token({ nonce: 'n-0S6_WzA2Mj' })), /nonce/)
  })

  it('rejects missing or malformed events', async () => {
    await expectRejected(await send(await token({}, { omit: ['events'] })), /no "events"/)
    await expectRejected(
      await send(await token({ events: { [EVENT]: true } })),
      /back-channel logout event/,
    )
    await expectRejected(
      await send(await token({ events: { 'http://example.com/other': {} } })),
      /back-channel logout event/,
    )
  })

  it('rejects a token with neither sub nor sid', async () => {
    await expectRejected(
      await send(await token({}, { omit: ['sub', 'sid'] })),
      /neither "sub" nor "sid"/,
    )
  })

  it('accepts typ JWT (Keycloak <= 24, Authentik < 2025.12): logout-token-typ-jwt', async () => {
    const response = await send(await token({}, { typ: 'JWT' }))
    expect(response.status).toBe(200)
    const lower = await send(await token({}, { typ: 'jwt' }))
    expect(lower.status).toBe(200)
  })

  it('rejects a wrong typ, a missing jti/iat, and a token that is not a JWS', async () => {
    for (const typ of ['at+jwt', 'secevent+jwt', 'JOSE', 'logout', 'id_token+jwt'])
      await expectRejected(await send(await token({}, { typ })), /typ/)
    await expectRejected(await send(await token({}, { omit: ['jti'] })), /"jti"/)
    await expectRejected(await send(await token({}, { omit: ['iat'] })), /"iat"/)
    await expectRejected(await send('a.b.c.d.e'), /encrypted/)
    await expectRejected(await send('not-a-jwt'), /compact JWS/)
  })

  it('rejects an algorithm other than the id_token one (HS256 with the client secret)', async () => {
    const hs = await new SignJWT({
      iss: provider.issuer,
      aud: DEFAULT_CLIENT.id,
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 60,
      jti: 'hs',
      sub: 'alice',
      events: { [EVENT]: {} },
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'logout+jwt' })
      .sign(new TextEncoder().encode(DEFAULT_CLIENT.secret))
    await expectRejected(await send(hs), /algorithm/)
  })

  it('answers 400 to a request without exactly one logout_token, 405 to GET', async () => {
    await expectRejected(await auth.backchannelLogout(post('')), /exactly one logout_token/)
    const twice = `logout_token=${await token()}&logout_token=${await token()}`
    await expectRejected(await auth.backchannelLogout(post(twice)), /exactly one/)
    await expectRejected(
      await auth.backchannelLogout(post(JSON.stringify({ logout_token: 'x' }), 'application/json')),
      /x-www-form-urlencoded/,
    )
    const get = await auth.backchannelLogout({
      url: '/backchannel-logout',
      method: 'GET',
      headers: {},
    })
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
  })

  it('accepts a body already parsed by a body parser (RequestLike with a record body)', async () => {
    const response = await auth.backchannelLogout({
      url: '/backchannel-logout',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: { logout_token: await token() },
    })
    expect(response.status).toBe(200)
  })
})
