/**
 * Conformance of the back-channel logout receiver (OpenID Connect Back-Channel Logout 1.0 §2.4–2.8)
 * against the real provider's discovery and JWKS: every §2.6 check with a token signed by the
 * provider's own key (or deliberately not), and the §2.8 answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOidcSession, type OidcSession } from 'oidc-session'
import type { JWTPayload } from 'jose'
import { LOGOUT_EVENT, SECRET, startConformance, type Conformance } from './support.js'

let h: Conformance
/** The same client, configured with `idTokenSignedResponseAlg: 'RS256'`. */
let pinned: OidcSession

beforeAll(async () => {
  h = await startConformance()
  pinned = createOidcSession({
    issuer: h.provider.issuer,
    client: { id: h.clientId, secret: h.clientSecret, idTokenSignedResponseAlg: 'RS256' },
    redirectUri: `${h.url}/callback`,
    secrets: [SECRET],
  })
})
afterAll(async () => {
  await h?.close()
})

const now = () => Math.floor(Date.now() / 1000)
let jtis = 0

/** Logout token claims (`undefined` deletes a claim). */
function claims(changes: Record<string, unknown> = {}): JWTPayload {
  const payload: Record<string, unknown> = {
    iss: h.provider.issuer,
    aud: h.clientId,
    iat: now(),
    exp: now() + 120,
    jti: `conformance-${++jtis}-${Math.random()}`,
    sub: 'alice',
    sid: 'sid-conformance',
    events: { [LOGOUT_EVENT]: {} },
    ...changes,
  }
  for (const [name, value] of Object.entries(changes)) if (value === undefined) delete payload[name]
  return payload
}

function token(changes: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  return h.sign(claims(changes), { typ: 'logout+jwt', ...header })
}

/** An unsigned compact JWS with the given header (the signature part is not a signature). */
function unsigned(header: Record<string, unknown>, payload: JWTPayload, signature = ''): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode(header)}.${encode(payload)}.${signature}`
}

function post(body: string, contentType = 'application/x-www-form-urlencoded'): Request {
  return new Request(`${h.url}/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  })
}

function send(logoutToken: string, auth: OidcSession = h.auth): Promise<Response> {
  return auth.backchannelLogout(post(new URLSearchParams({ logout_token: logoutToken }).toString()))
}

async function expectAccepted(response: Response): Promise<void> {
  if (response.status !== 200) throw new Error(`refused: ${await response.text()}`)
  expect(response.headers.get('cache-control')).toBe('no-store')
}

async function expectRefused(response: Response, description: RegExp): Promise<void> {
  expect(response.status).toBe(400)
  expect(response.headers.get('cache-control')).toBe('no-store')
  const body = (await response.json()) as { error: string; error_description: string }
  expect(body.error).toBe('invalid_request')
  expect(body.error_description).toMatch(description)
}

describe('Back-Channel Logout 1.0 §2.5 and §2.8 request and response', () => {
  it('accepts a logout_token POSTed form-serialized with 200 and Cache-Control no-store', async () => {
    await expectAccepted(await send(await token()))
  })

  it('answers 400 with a JSON error and no-store to a request without exactly one logout_token', async () => {
    await expectRefused(await h.auth.backchannelLogout(post('')), /exactly one logout_token/)
    const two = new URLSearchParams([
      ['logout_token', await token()],
      ['logout_token', await token()],
    ])
    await expectRefused(await h.auth.backchannelLogout(post(two.toString())), /exactly one/)
  })
})

describe('Back-Channel Logout 1.0 §2.6 logout token validation', () => {
  it('refuses an encrypted logout token (no key to decrypt it is registered)', async () => {
    await expectRefused(await send('eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d'), /encrypted/)
  })

  it('refuses a logout token whose signature does not verify with the provider keys', async () => {
    const genuine = await token()
    const [header, payload] = genuine.split('.')
    await expectRefused(await send(`${header}.${payload}.${'A'.repeat(342)}`), /signature/)
  })

  it('refuses alg none, and HS256 keyed with the client secret', async () => {
    await expectRefused(await send(unsigned({ alg: 'none', typ: 'logout+jwt' }, claims())), /alg/)
    const { SignJWT } = await import('jose')
    const hs = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', typ: 'logout+jwt' })
      .sign(new TextEncoder().encode(h.clientSecret))
    await expectRefused(await send(hs), /alg/)
  })

  it('validates alg as for ID tokens: ES256 is accepted when the provider signs id_tokens with it, refused when the client configured RS256', async () => {
    await expectAccepted(await send(await token({}, { alg: 'ES256' })))
    await expectRefused(await send(await token({}, { alg: 'ES256' }), pinned), /alg/)
    await expectAccepted(await send(await token(), pinned))
  })

  it('refuses an iss other than the issuer', async () => {
    await expectRefused(await send(await token({ iss: 'https://attacker.example' })), /"iss"/)
  })

  it('refuses an aud that does not contain the client_id', async () => {
    await expectRefused(await send(await token({ aud: 'another-client' })), /"aud"/)
    await expectRefused(await send(await token({ aud: ['another-client', 'third'] })), /"aud"/)
  })

  it('refuses several audiences without azp, or with the azp of another client, as for ID tokens', async () => {
    await expectRefused(await send(await token({ aud: [h.clientId, 'another-client'] })), /aud/)
    await expectRefused(
      await send(await token({ aud: [h.clientId, 'another-client'], azp: 'another-client' })),
      /azp/,
    )
    await expectAccepted(
      await send(await token({ aud: [h.clientId, 'another-client'], azp: h.clientId })),
    )
  })

  it('refuses an azp that names another client', async () => {
    await expectRefused(await send(await token({ azp: 'another-client' })), /azp/)
  })

  it('refuses a logout token without iat, with iat in the future, or issued too long ago', async () => {
    await expectRefused(await send(await token({ iat: undefined })), /"iat"/)
    await expectRefused(await send(await token({ iat: 'now' })), /"iat"/)
    await expectRefused(await send(await token({ iat: now() + 600 })), /"iat"/)
    await expectRefused(await send(await token({ iat: now() - 3600, exp: now() + 60 })), /"iat"/)
  })

  it('refuses an expired logout token, and one without exp', async () => {
    await expectRefused(await send(await token({ iat: now() - 300, exp: now() - 120 })), /expired/)
    await expectRefused(await send(await token({ exp: undefined })), /"exp"/)
  })

  it('refuses a logout token with neither sub nor sid', async () => {
    await expectRefused(await send(await token({ sub: undefined, sid: undefined })), /sub.*sid/)
  })

  it('refuses a logout token without the back-channel logout event as a JSON object', async () => {
    await expectRefused(await send(await token({ events: undefined })), /events/)
    await expectRefused(
      await send(await token({ events: { 'http://example.com/other': {} } })),
      /events/,
    )
    await expectRefused(await send(await token({ events: { [LOGOUT_EVENT]: 'yes' } })), /events/)
  })

  it('refuses a logout token that contains a nonce', async () => {
    await expectRefused(await send(await token({ nonce: 'n-0S6_WzA2Mj' })), /nonce/)
  })

  it('refuses a logout token without jti, and one whose jti was already received', async () => {
    await expectRefused(await send(await token({ jti: undefined })), /"jti"/)
    const once = await token()
    await expectAccepted(await send(once))
    await expectRefused(await send(once), /already used/)
  })

  it('refuses an explicitly typed JWT that is not a logout token (typ at+jwt, secevent+jwt)', async () => {
    for (const typ of ['at+jwt', 'secevent+jwt', 'id_token+jwt'])
      await expectRefused(await send(await token({}, { typ })), /typ/)
  })
})

describe('Back-Channel Logout 1.0 §2.7 logout actions', () => {
  /** A session's `sid` and `sub` as the relying party holds them. */
  async function sessionOf(cookie: string) {
    const result = await h.auth.authenticate(h.request(cookie))
    if (!result.session) throw new Error(`no session (${result.reason})`)
    return result.session
  }

  it('ends the session the logout token names by sid, and no other session of the user', async () => {
    const one = await h.login('carol')
    const two = await h.login('carol')
    const sid = (await sessionOf(one)).sid
    expect(sid).toBeDefined()
    expect((await sessionOf(two)).sid).not.toBe(sid)
    await expectAccepted(await send(await token({ sub: 'carol', sid })))
    expect((await h.auth.authenticate(h.request(one))).session).toBeNull()
    expect((await h.auth.authenticate(h.request(two))).session).not.toBeNull()
  })

  it('ends every session of the user when the logout token names only sub', async () => {
    const one = await h.login('dave')
    const two = await h.login('dave')
    const other = await h.login('erin')
    await expectAccepted(await send(await token({ sub: 'dave', sid: undefined })))
    expect((await h.auth.authenticate(h.request(one))).session).toBeNull()
    expect((await h.auth.authenticate(h.request(two))).session).toBeNull()
    expect((await h.auth.authenticate(h.request(other))).session).not.toBeNull()
  })

  it('answers 200 when the session named is already logged out', async () => {
    const cookie = await h.login('frank')
    const sid = (await sessionOf(cookie)).sid
    await h.auth.logout(
      new Request(`${h.url}/logout`, { headers: { cookie, 'sec-fetch-site': 'same-origin' } }),
    )
    await expectAccepted(await send(await token({ sub: 'frank', sid })))
    await expectAccepted(await send(await token({ sub: 'nobody', sid: 'an-unknown-sid' })))
  })
})
