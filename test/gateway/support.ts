/**
 * Test bed of the gateway: the real provider with resource indicators, DPoP and PAR, and a tiny
 * upstream that checks every token it receives at the provider's introspection endpoint (active,
 * audience, `cnf.jkt` against the DPoP proof's key) and records what it saw.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { EmbeddedJWK, base64url, calculateJwkThumbprint, jwtVerify, type JWK } from 'jose'
import {
  createOidcSession,
  type ForwardOptions,
  type OidcSession,
  type OidcSessionConfig,
} from 'oidc-session'
import {
  clientMetadata,
  freePort,
  startProvider,
  type TestProvider,
  type TestProviderOptions,
} from '../fixtures/provider.js'

/** The API resource servers the bed's provider knows. */
export const API = 'https://api.example.test'
export const BILLING = 'https://billing.example.test'
/** Scopes of those resource servers (asked for at login). */
export const API_SCOPES = 'api:read billing:read'

/** The introspecting client of the upstream. */
const INTROSPECTOR = { id: 'upstream-rs', secret: 'upstream-rs-secret-upstream-rs-secret-0123' }

/** Start the provider with resource servers (and the options given), plus the upstream's client. */
export async function startBedProvider(options: TestProviderOptions = {}): Promise<TestProvider> {
  const provider = await startProvider({
    resourceServers: {
      [API]: { scope: 'api:read' },
      [BILLING]: { scope: 'billing:read' },
    },
    ...options,
  })
  const introspector = clientMetadata('http://127.0.0.1:1', {
    client_id: INTROSPECTOR.id,
    client_secret: INTROSPECTOR.secret,
  })
  delete introspector.backchannel_logout_uri
  delete introspector.backchannel_logout_session_required
  await provider.registerClient(introspector)
  return provider
}

/** Per-resource token calls, counted from the provider's own `grant.success` events. */
export function countRefreshes(provider: TestProvider): {
  byResource: Map<string, number>
  total(): number
  reset(): void
} {
  const byResource = new Map<string, number>()
  provider.provider.on('grant.success', (ctx: { oidc?: { params?: Record<string, unknown> } }) => {
    const params = ctx.oidc?.params ?? {}
    if (params.grant_type !== 'refresh_token') return
    const resource = typeof params.resource === 'string' ? params.resource : '(own)'
    byResource.set(resource, (byResource.get(resource) ?? 0) + 1)
  })
  return {
    byResource,
    total: () => [...byResource.values()].reduce((a, b) => a + b, 0),
    reset: () => byResource.clear(),
  }
}

/** What the upstream saw of one request. */
export interface Seen {
  method: string
  /** The request target exactly as received. */
  url: string
  headers: IncomingMessage['headers']
  bodyBytes: number
  bodySha256: string
  /** The introspection answer for the presented token (`{ active: false }` when refused). */
  token: Record<string, unknown> & { active: boolean }
  /** `Bearer` or `DPoP`. */
  scheme: string | undefined
  /** The DPoP proof's checks, when one came. */
  proof?: { valid: boolean; jkt?: string; reason?: string }
}

/** Options of {@link startUpstream}. */
export interface UpstreamOptions {
  /** Expected `aud` of every token (`undefined`: any audience). */
  audience?: string
  /** Demand a server-provided DPoP nonce (RFC 9449 §9) from DPoP-bound requests. */
  requireNonce?: boolean
}

/** A running upstream. */
export interface Upstream {
  url: string
  port: number
  seen: Seen[]
  /** Tokens the upstream will call invalid from now on (as if revoked). */
  refuse: Set<string>
  introspections: number
  /** A new DPoP nonce: proofs with the old one are refused with `use_dpop_nonce`. */
  rotateNonce(): void
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function introspect(provider: TestProvider, token: string): Promise<Seen['token']> {
  const response = await fetch(`${provider.issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${btoa(`${INTROSPECTOR.id}:${INTROSPECTOR.secret}`)}`,
    },
    body: new URLSearchParams({ token }),
  })
  return (await response.json()) as Seen['token']
}

async function checkProof(
  proof: string | undefined,
  method: string,
  htu: string,
  token: string,
  nonce: string | undefined,
): Promise<NonNullable<Seen['proof']>> {
  if (!proof) return { valid: false, reason: 'no proof' }
  try {
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      maxTokenAge: '60s',
    })
    const jkt = await calculateJwkThumbprint(protectedHeader.jwk as JWK)
    const ath = base64url.encode(createHash('sha256').update(token).digest())
    if (payload.htm !== method) return { valid: false, jkt, reason: 'htm' }
    if (payload.htu !== htu) return { valid: false, jkt, reason: 'htu' }
    if (payload.ath !== ath) return { valid: false, jkt, reason: 'ath' }
    if (nonce !== undefined && payload.nonce !== nonce)
      return { valid: false, jkt, reason: 'nonce' }
    return { valid: true, jkt }
  } catch (error) {
    return { valid: false, reason: (error as Error).message }
  }
}

/**
 * Start the upstream. Every request's token is introspected; a refused token (inactive, wrong
 * audience, a DPoP token without a valid proof or with another key) gets `401` with
 * `error="invalid_token"`. Paths:
 * - `/slow?ms=N`: answers after N ms;
 * - `/set-cookie`: sets a cookie of its own and one named like the gateway's session;
 * - `/redirect`: `302` to its own absolute URL `/landed` (under the request's first path segment);
 * - `/stream?kb=N`: N KiB of response body in 1 KiB chunks;
 * - `/no-content`: `204`;
 * - anything else: JSON `{ sub, aud, path }`.
 */
export async function startUpstream(
  provider: TestProvider,
  options: UpstreamOptions = {},
): Promise<Upstream> {
  const seen: Seen[] = []
  const refuse = new Set<string>()
  let nonce = base64url.encode(createHash('sha256').update(String(Math.random())).digest())
  const state = { introspections: 0 }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req)
    const authorization = req.headers.authorization ?? ''
    const [scheme, token = ''] = authorization.split(' ')
    state.introspections += 1
    const info = token ? await introspect(provider, token) : { active: false }
    const url = req.url ?? '/'
    const path = url.split('?')[0] ?? '/'
    const entry: Seen = {
      method: req.method ?? 'GET',
      url,
      headers: req.headers,
      bodyBytes: body.length,
      bodySha256: createHash('sha256').update(body).digest('hex'),
      token: info,
      scheme,
    }
    const cnf = info.cnf as { jkt?: string } | undefined
    if (scheme === 'DPoP') {
      const htu = `http://127.0.0.1:${port}${path}`
      entry.proof = await checkProof(
        req.headers.dpop as string | undefined,
        entry.method,
        htu,
        token,
        options.requireNonce ? nonce : undefined,
      )
      if (!entry.proof.valid && entry.proof.reason === 'nonce') {
        seen.push(entry)
        res.writeHead(401, {
          'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="nonce required"',
          'dpop-nonce': nonce,
        })
        res.end()
        return
      }
    }
    seen.push(entry)
    const refused =
      !info.active ||
      refuse.has(token) ||
      (options.audience !== undefined && info.aud !== options.audience) ||
      (scheme === 'DPoP' && (!entry.proof?.valid || entry.proof.jkt !== cnf?.jkt)) ||
      (scheme === 'Bearer' && cnf?.jkt !== undefined)
    if (refused) {
      res.writeHead(401, {
        'www-authenticate': `${scheme === 'DPoP' ? 'DPoP' : 'Bearer'} error="invalid_token"`,
        'content-type': 'application/json',
      })
      res.end(JSON.stringify({ error: 'invalid_token' }))
      return
    }
    const query = new URL(url, 'http://upstream').searchParams
    if (path.endsWith('/slow')) {
      await new Promise((resolve) => setTimeout(resolve, Number(query.get('ms') ?? 1000)))
    }
    if (path.endsWith('/set-cookie')) {
      res.setHeader('set-cookie', [
        'upstream_pref=1; Path=/',
        'oidc_session=hijacked; Path=/',
        'oidc_session.0=hijacked; Path=/',
      ])
    }
    if (path.endsWith('/redirect')) {
      const first = path.split('/')[1] ?? ''
      res.writeHead(302, { location: `http://127.0.0.1:${port}/${first}/landed?x=1` })
      res.end()
      return
    }
    if (path.endsWith('/no-content')) {
      res.writeHead(204, { 'x-upstream': 'yes' })
      res.end()
      return
    }
    if (path.endsWith('/stream')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      const kb = Number(query.get('kb') ?? 1)
      for (let i = 0; i < kb; i++) res.write(Buffer.alloc(1024, i % 256))
      res.end()
      return
    }
    res.setHeader('content-type', 'application/json')
    res.setHeader('x-upstream', 'yes')
    res.end(
      JSON.stringify({ sub: info.sub, aud: info.aud ?? null, path, bodySha256: entry.bodySha256 }),
    )
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.statusCode = 500
      res.end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    refuse,
    get introspections() {
      return state.introspections
    },
    rotateNonce() {
      nonce = base64url.encode(createHash('sha256').update(String(Math.random())).digest())
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  } as Upstream
}

/** A relying party serving `auth.handler()` and forwarding everything else. */
export interface App {
  url: string
  auth: OidcSession
  clientId: string
  clock: { seconds: number }
  /** Token requests the app sent (their form bodies), oldest first. */
  tokenRequests: URLSearchParams[]
  /** The authorization URLs the app redirected to. */
  authorizationUrls: URL[]
  close(): Promise<void>
}

let apps = 0

/**
 * Start an app on a free port with its own client at `provider` and `options` over the defaults
 * (scope with `email`, secrets, a movable clock). Every path outside the auth routes is forwarded
 * to `upstream` with the options `route(request)` returns.
 */
export async function startApp(
  provider: TestProvider,
  upstream: string,
  options: Partial<OidcSessionConfig> = {},
  route: (request: Request) => ForwardOptions = () => ({}),
): Promise<App> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const clientId = `app-${++apps}`
  const secret = `${clientId}-secret-${clientId}-secret-0123456789`
  await provider.registerClient(clientMetadata(url, { client_id: clientId, client_secret: secret }))
  const clock = { seconds: 0 }
  const tokenRequests: URLSearchParams[] = []
  const authorizationUrls: URL[] = []
  const auth = createOidcSession({
    issuer: provider.issuer,
    client: { id: clientId, secret },
    redirectUri: `${url}/callback`,
    secrets: ['gateway-tests-secret-gateway-tests-secret-01'],
    scope: 'openid email offline_access',
    now: () => Date.now() + clock.seconds * 1000,
    http: {
      fetch: async (input, init) => {
        const target = new URL(input instanceof Request ? input.url : input)
        if (target.pathname === '/token' && init?.body instanceof URLSearchParams)
          tokenRequests.push(new URLSearchParams(init.body))
        return fetch(input, init)
      },
    },
    ...options,
  })
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET'
    const headers = new Headers()
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
      headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string)
    const request = new Request(`${url}${req.url ?? '/'}`, {
      method,
      headers,
      ...(method === 'GET' || method === 'HEAD'
        ? {}
        : { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' }),
    } as RequestInit)
    const answer = async () => {
      const response =
        (await auth.handler(request)) ??
        (await auth.forward(request, upstream, { clientAddress: '127.0.0.1', ...route(request) }))
      const location = response.headers.get('location')
      if (location?.startsWith(provider.issuer)) authorizationUrls.push(new URL(location))
      res.statusCode = response.status
      response.headers.forEach((value, name) => {
        if (name !== 'set-cookie') res.setHeader(name, value)
      })
      res.setHeader('set-cookie', response.headers.getSetCookie())
      if (response.body)
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
          res.write(chunk)
      res.end()
    }
    answer().catch((error: unknown) => {
      res.statusCode = 500
      res.end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url,
    auth,
    clientId,
    clock,
    tokenRequests,
    authorizationUrls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
