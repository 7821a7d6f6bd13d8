/**
 * Self-test of the test-bed fixtures (test/fixtures): the in-process OpenID Provider and the
 * browser-less agent, driven by a hand-made relying party over raw HTTP — no library code.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { gzipSync } from 'node:zlib'
import type { Server } from 'node:http'

import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { Agent, CookieJar, redactUrl } from '../fixtures/agent.js'
import { DEFAULT_CLIENT, clientMetadata, freePort, startProvider } from '../fixtures/provider.js'
import type { ClientMetadata, TestProvider } from '../fixtures/provider.js'

// ---------------------------------------------------------------------------------------------
// A throwaway relying party: records callbacks and back-channel logout POSTs.

interface Receiver {
  origin: string
  callbacks: URLSearchParams[]
  /** Request headers of each callback. */
  callbackHeaders: Record<string, string | string[] | undefined>[]
  visits: string[]
  backchannel: URLSearchParams[]
  /** Status answered to back-channel POSTs; default 200. */
  backchannelStatus: number
  close(): Promise<void>
}

async function startReceiver(): Promise<Receiver> {
  const port = await freePort()
  const receiver: Receiver = {
    origin: `http://127.0.0.1:${port}`,
    callbacks: [],
    callbackHeaders: [],
    visits: [],
    backchannel: [],
    backchannelStatus: 200,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', receiver.origin)
    if (req.method === 'POST' && url.pathname === '/backchannel-logout') {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        receiver.backchannel.push(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
        res.writeHead(receiver.backchannelStatus, { 'cache-control': 'no-store' }).end()
      })
      return
    }
    if (url.pathname === '/callback') {
      receiver.callbacks.push(url.searchParams)
      receiver.callbackHeaders.push(req.headers)
    } else receiver.visits.push(url.pathname + url.search)
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return receiver
}

// ---------------------------------------------------------------------------------------------
// A hand-made relying party over raw HTTP.

const b64url = (bytes: Buffer): string => bytes.toString('base64url')

interface Pkce {
  verifier: string
  challenge: string
}

function pkce(): Pkce {
  const verifier = b64url(randomBytes(32))
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) }
}

interface AuthRequest {
  url: string
  state: string
  nonce: string
  pkce: Pkce
}

function authorizationRequest(
  op: TestProvider,
  client: ClientMetadata,
  scope = 'openid offline_access profile',
  extra: Record<string, string> = {},
): AuthRequest {
  const p = pkce()
  const state = b64url(randomBytes(12))
  const nonce = b64url(randomBytes(12))
  const url = new URL(`${op.issuer}/auth`)
  url.search = new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    redirect_uri: client.redirect_uris?.[0] ?? '',
    scope,
    state,
    nonce,
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
    ...extra,
  }).toString()
  return { url: url.href, state, nonce, pkce: p }
}

interface TokenResponse {
  access_token?: string
  refresh_token?: string
  id_token?: string
  token_type?: string
  expires_in?: number
  scope?: string
  error?: string
  error_description?: string
}

async function tokenRequest(
  op: TestProvider,
  params: Record<string, string>,
  auth: { id: string; secret?: string } = DEFAULT_CLIENT,
): Promise<{ status: number; body: TokenResponse }> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  if (auth.secret !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(auth.id)}:${encodeURIComponent(auth.secret)}`).toString('base64')}`
  }
  const res = await fetch(`${op.issuer}/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(params),
  })
  return { status: res.status, body: (await res.json()) as TokenResponse }
}

function jwtPayload(jwt: string | undefined): Record<string, unknown> {
  const part = jwt?.split('.')[1]
  if (part === undefined) throw new Error('not a JWT')
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>
}

/** Logs in with a fresh agent and returns the callback's code (after checking state). */
async function loginForCode(
  op: TestProvider,
  rp: Receiver,
  client: ClientMetadata,
  username = 'alice',
  agent = new Agent(),
) {
  const request = authorizationRequest(op, client)
  const { response, url } = await agent.login(request.url, { username })
  expect(response.status).toBe(200)
  expect(new URL(url).pathname).toBe('/callback')
  const callback = rp.callbacks.at(-1)
  expect(callback?.get('state')).toBe(request.state)
  expect(callback?.get('iss')).toBe(op.issuer)
  const code = callback?.get('code')
  if (!code) throw new Error('no code in the callback')
  return { agent, request, code }
}

async function loginAndExchange(
  op: TestProvider,
  rp: Receiver,
  client: ClientMetadata,
  username = 'alice',
) {
  const { agent, request, code } = await loginForCode(op, rp, client, username)
  const tokens = await tokenRequest(op, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: client.redirect_uris?.[0] ?? '',
    code_verifier: request.pkce.verifier,
  })
  expect(tokens.status).toBe(200)
  return { agent, request, tokens: tokens.body }
}

// ---------------------------------------------------------------------------------------------

let op: TestProvider
let rp: Receiver
let client: ClientMetadata

beforeAll(async () => {
  op = await startProvider({ accessTokenTtl: 120, idTokenTtl: 90 })
  rp = await startReceiver()
  client = clientMetadata(rp.origin)
  await op.registerClient(client)
})

afterAll(async () => {
  await rp?.close()
  await op?.close()
})

beforeEach(() => {
  op.counters.reset()
  rp.callbacks.length = 0
  rp.callbackHeaders.length = 0
  rp.visits.length = 0
  rp.backchannel.length = 0
  rp.backchannelStatus = 200
})

describe('test provider', () => {
  it('serves a discovery document with every endpoint the library uses', async () => {
    expect(op.issuer).toBe(`http://127.0.0.1:${op.port}`)
    const res = await fetch(`${op.issuer}/.well-known/openid-configuration`)
    expect(res.status).toBe(200)
    const doc = (await res.json()) as Record<string, unknown>
    expect(doc).toMatchObject({
      issuer: op.issuer,
      authorization_endpoint: `${op.issuer}/auth`,
      token_endpoint: `${op.issuer}/token`,
      userinfo_endpoint: `${op.issuer}/me`,
      revocation_endpoint: `${op.issuer}/token/revocation`,
      end_session_endpoint: `${op.issuer}/session/end`,
      jwks_uri: `${op.issuer}/jwks`,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      code_challenge_methods_supported: ['S256'],
    })
    expect(doc.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'offline_access', 'profile', 'email']),
    )
    expect(doc.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining([
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
        'none',
      ]),
    )
    const jwks = (await (await fetch(`${op.issuer}/jwks`)).json()) as {
      keys: { kty: string; alg: string; d?: string }[]
    }
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256'])
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true)
  })

  it('logs in, issues code → tokens with sid, rotates the refresh token, and revokes the grant on reuse', async () => {
    const { request, tokens } = await loginAndExchange(op, rp, client, 'alice')
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 120 })
    expect(tokens.access_token).toEqual(expect.any(String))
    expect(tokens.refresh_token).toEqual(expect.any(String))
    const idToken = jwtPayload(tokens.id_token)
    expect(idToken).toMatchObject({
      iss: op.issuer,
      aud: client.client_id,
      sub: 'alice',
      nonce: request.nonce,
      name: 'Test User alice',
    })
    expect(idToken.sid).toEqual(expect.any(String))
    expect(Number(idToken.exp) - Number(idToken.iat)).toBe(90)
    expect(op.counters.token).toEqual({ authorization_code: 1 })
    // The agent arrived at the callback like a browser: a same-site navigation, after a form POST.
    expect(rp.callbackHeaders.at(-1)).toMatchObject({
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
      'sec-fetch-site': 'same-site',
    })
    expect(rp.callbackHeaders.at(-1)?.origin).toBeUndefined()

    const info = await fetch(`${op.issuer}/me`, {
      headers: { authorization: `Bearer ${tokens.access_token ?? ''}` },
    })
    expect(info.status).toBe(200)
    expect(await info.json()).toMatchObject({ sub: 'alice', name: 'Test User alice' })
    expect(op.counters.userinfo).toBe(1)

    const oldRefresh = tokens.refresh_token ?? ''
    const refreshed = await tokenRequest(op, {
      grant_type: 'refresh_token',
      refresh_token: oldRefresh,
    })
    expect(refreshed.status).toBe(200)
    const newRefresh = refreshed.body.refresh_token ?? ''
    expect(newRefresh).toEqual(expect.any(String))
    expect(newRefresh).not.toBe(oldRefresh)
    expect(jwtPayload(refreshed.body.id_token).sid).toBe(idToken.sid)
    expect(op.counters.token.refresh_token).toBe(1)
    expect(op.counters.tokenErrors).toEqual({})

    const reused = await tokenRequest(op, {
      grant_type: 'refresh_token',
      refresh_token: oldRefresh,
    })
    expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    expect(op.counters.tokenErrors.invalid_grant).toBe(1)
    expect(op.counters.token.refresh_token).toBe(2)

    const revoked = await tokenRequest(op, {
      grant_type: 'refresh_token',
      refresh_token: newRefresh,
    })
    expect(revoked).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    expect(op.counters.tokenErrors.invalid_grant).toBe(2)
    const deadAccess = await fetch(`${op.issuer}/me`, {
      headers: { authorization: `Bearer ${refreshed.body.access_token ?? ''}` },
    })
    expect(deadAccess.status).toBe(401)
  })

  it('delivers a back-channel logout token to a loopback receiver on RP-initiated logout', async () => {
    const { agent, tokens } = await loginAndExchange(op, rp, client, 'bob')
    const sid = jwtPayload(tokens.id_token).sid
    const endSession = new URL(`${op.issuer}/session/end`)
    endSession.search = new URLSearchParams({
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: `${rp.origin}/`,
      state: 'bye',
    }).toString()

    const done = await agent.logoutAtProvider(endSession.href)
    expect(done.response.status).toBe(200)
    expect(done.url).toBe(`${rp.origin}/?state=bye`)
    expect(rp.backchannel).toHaveLength(1)
    const logoutToken = rp.backchannel[0]?.get('logout_token') ?? undefined
    const claims = jwtPayload(logoutToken)
    expect(claims).toMatchObject({ iss: op.issuer, aud: client.client_id, sub: 'bob', sid })
    expect(claims.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} })
    expect(claims.nonce).toBeUndefined()
    expect(op.counters.backchannelDelivered).toBe(1)
    expect(op.counters.backchannelFailed).toBe(0)
    expect(op.counters.endSession).toBe(1)
    // The provider session is gone: the next login shows the login form again.
    expect(agent.jar.all().some((c) => c.name === '_session')).toBe(false)
  })

  it('keeps refresh tokens valid after logout at the provider (offline_access semantics) until revoked', async () => {
    const { agent, tokens } = await loginAndExchange(op, rp, client, 'carol')
    await agent.logoutAtProvider(`${op.issuer}/session/end?id_token_hint=${tokens.id_token ?? ''}`)
    const after = await tokenRequest(op, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token ?? '',
    })
    expect(after.status).toBe(200)

    const revocation = await fetch(`${op.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${DEFAULT_CLIENT.id}:${DEFAULT_CLIENT.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        token: after.body.refresh_token ?? '',
        token_type_hint: 'refresh_token',
      }),
    })
    expect(revocation.status).toBe(200)
    expect(op.counters.revocation).toBe(1)
    const dead = await tokenRequest(op, {
      grant_type: 'refresh_token',
      refresh_token: after.body.refresh_token ?? '',
    })
    expect(dead.body.error).toBe('invalid_grant')
  })

  it('counts a failed back-channel delivery', async () => {
    rp.backchannelStatus = 500
    const { agent, tokens } = await loginAndExchange(op, rp, client, 'dave')
    await agent.logoutAtProvider(`${op.issuer}/session/end?id_token_hint=${tokens.id_token ?? ''}`)
    expect(rp.backchannel).toHaveLength(1)
    expect(op.counters.backchannelDelivered).toBe(0)
    expect(op.counters.backchannelFailed).toBe(1)
  })

  it('reuses the provider session and grant: a second login needs no form', async () => {
    const first = await loginForCode(op, rp, client, 'erin')
    const request = authorizationRequest(op, client)
    const { url, hops } = await first.agent.login(request.url, { username: 'ignored' })
    expect(new URL(url).pathname).toBe('/callback')
    expect(hops.some((h) => h.includes('/interaction/'))).toBe(false)
    expect(op.counters.authorization).toBe(2)
  })

  it('returns access_denied to the client when consent is refused', async () => {
    const request = authorizationRequest(op, client)
    const { url } = await new Agent().login(request.url, { username: 'frank', consent: false })
    expect(new URL(url).pathname).toBe('/callback')
    expect(rp.callbacks.at(-1)?.get('error')).toBe('access_denied')
    expect(rp.callbacks.at(-1)?.get('state')).toBe(request.state)
  })

  it('turns a provider error page into an agent error that names the error but no token', async () => {
    const request = authorizationRequest(op, {
      ...client,
      redirect_uris: [`${rp.origin}/not-registered`],
    })
    const failure = new Agent().login(request.url)
    await expect(failure).rejects.toThrow(/invalid_redirect_uri/)
    await expect(failure).rejects.not.toThrow(request.state)
    await expect(failure).rejects.not.toThrow(request.nonce)
  })

  it('registers and replaces clients at runtime; rejects invalid metadata', async () => {
    const other = await startReceiver()
    try {
      const metadata = clientMetadata(other.origin, {
        client_id: 'late',
        client_secret: 'late-secret-1',
      })
      await op.registerClient(metadata)
      const { request, code } = await loginForCode(op, other, metadata)
      const exchange = (secret: string) =>
        tokenRequest(
          op,
          {
            grant_type: 'authorization_code',
            code,
            redirect_uri: `${other.origin}/callback`,
            code_verifier: request.pkce.verifier,
          },
          { id: 'late', secret },
        )
      await op.registerClient({ ...metadata, client_secret: 'late-secret-2' })
      expect((await exchange('late-secret-1')).body.error).toBe('invalid_client')
      expect((await exchange('late-secret-2')).status).toBe(200)
      await expect(
        op.registerClient({ ...metadata, redirect_uris: ['not a url'] }),
      ).rejects.toThrow(
        /registerClient\(late\): invalid_redirect_uri: redirect_uris must only contain valid uris/,
      )
    } finally {
      await other.close()
    }
  })

  it('supports client_secret_post, private_key_jwt and public (none) clients, all with PKCE', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'rp-key', alg: 'ES256', use: 'sig' }
    const variants: {
      metadata: ClientMetadata
      auth: (body: Record<string, string>) => Promise<Record<string, string>>
    }[] = [
      {
        metadata: clientMetadata(rp.origin, {
          client_id: 'post',
          client_secret: 'post-secret',
          token_endpoint_auth_method: 'client_secret_post',
        }),
        auth: (body) =>
          Promise.resolve({ ...body, client_id: 'post', client_secret: 'post-secret' }),
      },
      {
        metadata: clientMetadata(rp.origin, {
          client_id: 'pkjwt',
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks: { keys: [publicJwk] },
        }),
        auth: async (body) => {
          const assertion = await new SignJWT({})
            .setProtectedHeader({ alg: 'ES256', kid: 'rp-key' })
            .setIssuer('pkjwt')
            .setSubject('pkjwt')
            .setAudience(op.issuer)
            .setJti(b64url(randomBytes(8)))
            .setIssuedAt()
            .setExpirationTime('1m')
            .sign(privateKey)
          return {
            ...body,
            client_id: 'pkjwt',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion,
          }
        },
      },
      {
        metadata: clientMetadata(rp.origin, {
          client_id: 'spa',
          token_endpoint_auth_method: 'none',
        }),
        auth: (body) => Promise.resolve({ ...body, client_id: 'spa' }),
      },
    ]
    for (const { metadata, auth } of variants) {
      const registered = { ...metadata }
      if (registered.token_endpoint_auth_method !== 'client_secret_post')
        delete registered.client_secret
      await op.registerClient(registered)
      const { request, code } = await loginForCode(op, rp, registered, `user-${metadata.client_id}`)
      const body = await auth({
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${rp.origin}/callback`,
        code_verifier: request.pkce.verifier,
      })
      const res = await fetch(`${op.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      })
      const json = (await res.json()) as TokenResponse
      expect({ client: metadata.client_id, status: res.status, error: json.error }).toEqual({
        client: metadata.client_id,
        status: 200,
        error: undefined,
      })
      expect(json.refresh_token).toEqual(expect.any(String))
    }
  })

  it('requires PKCE (S256) from confidential clients too', async () => {
    const url = new URL(authorizationRequest(op, client).url)
    url.searchParams.delete('code_challenge')
    url.searchParams.delete('code_challenge_method')
    const { url: landed } = await new Agent().login(url.href)
    expect(new URL(landed).pathname).toBe('/callback')
    expect(rp.callbacks.at(-1)?.get('error')).toBe('invalid_request')

    const plain = new URL(authorizationRequest(op, client).url)
    plain.searchParams.set('code_challenge_method', 'plain')
    await new Agent().login(plain.href)
    expect(rp.callbacks.at(-1)?.get('error')).toBe('invalid_request')
  })
})

describe('test provider options', () => {
  it('honours TTLs and rotateRefreshToken: false', async () => {
    const custom = await startProvider({
      accessTokenTtl: 5,
      idTokenTtl: 7,
      refreshTokenTtl: 11,
      rotateRefreshToken: false,
    })
    try {
      await custom.registerClient(client)
      const { tokens } = await loginAndExchange(custom, rp, client, 'gina')
      expect(tokens.expires_in).toBe(5)
      const id = jwtPayload(tokens.id_token)
      expect(Number(id.exp) - Number(id.iat)).toBe(7)
      const again = await tokenRequest(custom, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token ?? '',
      })
      expect(again.status).toBe(200)
      expect(again.body.refresh_token).toBe(tokens.refresh_token) // not rotated
      expect(custom.counters.token.refresh_token).toBe(1)
      expect(op.counters.token).toEqual({}) // counters are per provider
    } finally {
      await custom.close()
    }
  })

  it('listens on a requested port', async () => {
    const port = await freePort()
    const fixed = await startProvider({
      port,
      clients: [clientMetadata(rp.origin, { client_id: 'x', client_secret: 'y' })],
    })
    try {
      expect(fixed.issuer).toBe(`http://127.0.0.1:${port}`)
      const res = await fetch(`${fixed.issuer}/.well-known/openid-configuration`)
      expect(res.status).toBe(200)
    } finally {
      await fixed.close()
    }
  })
})

describe('CookieJar', () => {
  it('ignores the port, matches paths, and deletes with Max-Age=0 or a past Expires', () => {
    const jar = new CookieJar()
    jar.store('http://127.0.0.1:4000/app/page', [
      'a=1; Path=/',
      'b=2',
      'c=3; Path=/other; HttpOnly',
    ])
    expect(jar.header('http://127.0.0.1:5000/')).toBe('a=1')
    expect(jar.header('http://127.0.0.1:5000/app/x')).toBe('b=2; a=1') // longer path first
    expect(jar.header('http://127.0.0.1:5000/other/y')).toBe('c=3; a=1')
    expect(jar.header('http://localhost:4000/')).toBe('')
    jar.store('http://127.0.0.1:4000/', [
      'a=; Max-Age=0; Path=/',
      'c=; Path=/other; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    ])
    expect(jar.all().map((c) => c.name)).toEqual(['b'])
    jar.store('http://127.0.0.1/', ['s=1; Max-Age=1'])
    expect(jar.get('s')).toBe('1')
  })

  it('enforces Secure, cookie prefixes and the 4096-byte limit like Chromium', () => {
    const jar = new CookieJar()
    jar.store('http://127.0.0.1:3000/', [
      '__Host-a=1; Secure; Path=/',
      '__Host-b=1; Path=/',
      '__Secure-c=1',
      `big=${'x'.repeat(4094)}`,
      `max=${'x'.repeat(4093)}`,
      `ok=${'x'.repeat(4000)}`,
    ])
    jar.store('http://app.example/', ['insecure=1; Secure'])
    expect(
      jar
        .all()
        .map((c) => c.name)
        .sort(),
    ).toEqual(['__Host-a', 'max', 'ok'])
    expect(jar.rejected.map((r) => r.name)).toEqual(['__Host-b', '__Secure-c', 'big', 'insecure'])
    jar.store('https://app.example/', ['s=1; Secure; Domain=example', 'h=1; Domain=other.example'])
    expect(jar.header('http://app.example/')).toBe('')
    expect(jar.header('https://www.example/')).toBe('s=1')
  })

  it('redacts credentials from URLs in messages', () => {
    expect(redactUrl('http://127.0.0.1:1/cb?code=abc&state=s&x=1#frag')).toBe(
      'http://127.0.0.1:1/cb?code=%E2%80%A6&state=%E2%80%A6&x=1',
    )
  })
})

describe('Agent transport', () => {
  interface Seen {
    method: string
    path: string
    headers: Record<string, string | string[] | undefined>
    body: string
  }
  let seen: Seen[]
  let origin: string
  let server: Server

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const path = req.url ?? '/'
        seen.push({
          method: req.method ?? '',
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        })
        const redirect = /^\/(30[1-8])(\/.*)$/.exec(path)
        if (redirect) {
          res.writeHead(Number(redirect[1]), { location: redirect[2] ?? '/' }).end()
        } else if (path === '/loop') {
          res.writeHead(302, { location: '/loop' }).end()
        } else if (path === '/gzip') {
          res
            .writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' })
            .end(gzipSync('zipped'))
        } else {
          res
            .writeHead(200, {
              'content-type': 'text/plain',
              'set-cookie': ['one=1; Path=/', 'two=2; Path=/x'],
            })
            .end('ok')
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  })
  beforeEach(() => {
    seen = []
  })

  it('sends exactly the headers given (Node fetch would force sec-fetch-mode: cors)', async () => {
    const agent = new Agent({ userAgentHeaders: { 'user-agent': 'test-agent/1' } })
    const res = await agent.fetch(`${origin}/plain`, {
      headers: { 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'none', cookie: 'extra=1' },
    })
    expect(await res.text()).toBe('ok')
    expect(res.headers.getSetCookie()).toEqual(['one=1; Path=/', 'two=2; Path=/x'])
    expect(seen[0]?.headers).toMatchObject({
      'sec-fetch-mode': 'navigate',
      'sec-fetch-site': 'none',
      'user-agent': 'test-agent/1',
      cookie: 'extra=1',
    })
    expect(seen[0]?.headers['accept-language']).toBeUndefined()
    await agent.fetch(`${origin}/x/y`)
    expect(seen[1]?.headers.cookie).toBe('two=2; one=1')
  })

  it('follows redirects like a browser: 303/302 POST → GET without body or Origin, 307 keeps both', async () => {
    const agent = new Agent()
    const post = { method: 'POST', headers: { origin }, body: new URLSearchParams({ a: '1' }) }
    const r303 = await agent.follow(`${origin}/303/done`, post)
    expect(r303.hops).toEqual([`${origin}/303/done`, `${origin}/done`])
    expect(
      seen.map((s) => [s.method, s.body, s.headers.origin, s.headers['content-type']]),
    ).toEqual([
      ['POST', 'a=1', origin, 'application/x-www-form-urlencoded;charset=UTF-8'],
      ['GET', '', undefined, undefined],
    ])
    seen = []
    await agent.follow(`${origin}/307/kept`, post)
    expect(seen.map((s) => [s.method, s.path, s.body])).toEqual([
      ['POST', '/307/kept', 'a=1'],
      ['POST', '/kept', 'a=1'],
    ])
    await expect(agent.follow(`${origin}/loop`, {}, { maxHops: 3 })).rejects.toThrow(
      /more than 3 redirects/,
    )
  })

  it('adds navigation Fetch Metadata per hop when asked, and decodes compressed bodies', async () => {
    const agent = new Agent()
    await agent.follow(`${origin}/302/end`, {}, { navigate: true })
    expect(seen.map((s) => s.headers['sec-fetch-site'])).toEqual(['none', 'none'])
    expect(seen[0]?.headers).toMatchObject({
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
      'sec-fetch-user': '?1',
    })
    seen = []
    await agent.follow(`${origin}/302/end`, {}, { navigate: { from: 'http://127.0.0.1:1/page' } })
    expect(seen.map((s) => s.headers['sec-fetch-site'])).toEqual(['same-site', 'same-site'])
    seen = []
    await agent.follow(`${origin}/end`, {}, { navigate: { from: 'http://localhost:1/' } })
    expect(seen[0]?.headers['sec-fetch-site']).toBe('cross-site')
    const zipped = await agent.fetch(`${origin}/gzip`, { headers: { 'accept-encoding': 'gzip' } })
    expect(await zipped.text()).toBe('zipped')
  })

  it('names the URL (without credentials) when a request cannot be sent', async () => {
    const port = await freePort()
    await expect(new Agent().fetch(`http://127.0.0.1:${port}/cb?code=secret-code`)).rejects.toThrow(
      /GET http:\/\/127\.0\.0\.1:\d+\/cb\?code=%E2%80%A6 failed: .*ECONNREFUSED/,
    )
  })
})
