/**
 * The conformance harness: the real provider (`oidc-provider`), started with signing keys this
 * file generated so that a test can sign tokens as the provider, a token-response hook that can
 * replace the id_token the provider issued (the cases a real provider never produces), and a
 * login driven through the provider's pages that stops at the callback URL, so that a test holds
 * the authorization response (`code`, `state`, `iss`) and the transaction cookie and may tamper
 * with either before calling `auth.callback()`.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type JWK,
  type JWTPayload,
} from 'jose'
import { createOidcSession, type OidcSession, type OidcSessionConfig } from 'oidc-session'
import { Agent } from '../fixtures/agent.js'
import {
  startProvider,
  type ProviderContext,
  type TestProvider,
  type TestProviderOptions,
} from '../fixtures/provider.js'

export const SECRET = 'conformance-secret-conformance-secret-0123'
export const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** The id_token of a token response, as a hook sees it. */
export interface IdTokenParts {
  header: { alg: string; kid?: string; typ?: string; [name: string]: unknown }
  claims: JWTPayload & Record<string, unknown>
}

/**
 * What a token-response hook answers: new parts to sign, a raw token, `null` (no id_token in the
 * response) or `undefined` (unchanged).
 */
export type IdTokenHook = (parts: IdTokenParts) => IdTokenParts | string | null | undefined

/** One running harness. */
export interface Conformance {
  provider: TestProvider
  /** Origin of the relying party (a server that answers 200 to anything: it only receives the callback). */
  url: string
  clientId: string
  clientSecret: string
  auth: OidcSession
  /** Seconds added to the relying party's clock (the provider keeps real time). */
  clock: { seconds: number }
  /** The provider's signing keys (`RS256`, `ES256`) with their `kid`s. */
  keys: Record<'RS256' | 'ES256', { key: CryptoKey; kid: string }>
  /** Rewrites the id_token of the next token responses, per grant type; reset by {@link reset}. */
  hooks: { authorization_code?: IdTokenHook; refresh_token?: IdTokenHook }
  /** Bodies of the requests the revocation endpoint received, in order. */
  revocations: URLSearchParams[]
  /** Start a login and walk the provider's pages up to the callback (not called). */
  authorize(
    username?: string,
    authorizationParams?: Record<string, string>,
  ): Promise<{ callback: URL; cookie: string; location: URL }>
  /** `auth.callback()` for `callback`, with `cookie`: the response, or what it threw. */
  finish(callback: URL | string, cookie: string): Promise<Response | Error>
  /** A complete login: the session cookie header. */
  login(username?: string): Promise<string>
  /** A same-origin API request to the relying party carrying `cookie`. */
  request(cookie: string, path?: string): Request
  /** Sign `claims` with the provider's key for `alg` (its `kid` in the header). */
  sign(claims: JWTPayload, header?: Partial<IdTokenParts['header']>): Promise<string>
  reset(): void
  close(): Promise<void>
}

/** The `name=value` pairs of `set-cookie` lines that set a value (deletions left out). */
export function cookiesFrom(headers: Headers): string {
  return headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .filter((pair) => !pair.endsWith('='))
    .join('; ')
}

let counter = 0

/**
 * Start a harness.
 *
 * @param options provider options, and session options over the defaults
 */
export async function startConformance(
  options: {
    provider?: TestProviderOptions
    session?: Partial<OidcSessionConfig>
  } = {},
): Promise<Conformance> {
  const keys = {} as Conformance['keys']
  const jwks: JWK[] = []
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true })
    const kid = `conformance-${alg.toLowerCase()}`
    keys[alg] = { key: privateKey, kid }
    jwks.push({ ...(await exportJWK(privateKey)), alg, use: 'sig', kid })
  }
  const hooks: Conformance['hooks'] = {}
  const revocations: URLSearchParams[] = []

  const sign = (claims: JWTPayload, header: Partial<IdTokenParts['header']> = {}) => {
    const alg = (header.alg ?? 'RS256') as 'RS256' | 'ES256'
    const entry = keys[alg] ?? keys.RS256
    return new SignJWT(claims)
      .setProtectedHeader({ kid: entry.kid, ...header, alg: header.alg ?? 'RS256' })
      .sign(entry.key)
  }

  const rewrite = async (ctx: ProviderContext, next: () => Promise<void>) => {
    if (ctx.path === '/token/revocation' && ctx.method === 'POST') {
      // Read what oidc-provider parsed (it has consumed the body by the time it answers).
      await next()
      const params = (ctx.oidc as { params?: Record<string, unknown> } | undefined)?.params ?? {}
      const body = new URLSearchParams()
      for (const [name, value] of Object.entries(params))
        if (typeof value === 'string') body.set(name, value)
      revocations.push(body)
      return
    }
    await next()
    if (ctx.path !== '/token' || ctx.method !== 'POST') return
    const body = ctx.body as Record<string, unknown> | undefined
    if (typeof body !== 'object' || body === null || typeof body.id_token !== 'string') return
    const grant = (ctx.oidc as { params?: { grant_type?: unknown } } | undefined)?.params
      ?.grant_type
    const hook =
      grant === 'authorization_code'
        ? hooks.authorization_code
        : grant === 'refresh_token'
          ? hooks.refresh_token
          : undefined
    if (!hook) return
    const parts: IdTokenParts = {
      header: decodeProtectedHeader(body.id_token) as IdTokenParts['header'],
      claims: decodeJwt(body.id_token) as IdTokenParts['claims'],
    }
    const answer = hook(parts)
    if (answer === undefined) return
    if (answer === null) {
      const rest = { ...body }
      delete rest.id_token
      ctx.body = rest
      return
    }
    const idToken = typeof answer === 'string' ? answer : await sign(answer.claims, answer.header)
    ctx.body = { ...body, id_token: idToken }
  }

  const provider = await startProvider({
    accessTokenTtl: 300,
    idTokenTtl: 300,
    rotateRefreshToken: true,
    ...options.provider,
    jwks,
    middleware: [rewrite, ...(options.provider?.middleware ?? [])],
  })

  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('callback reached')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const clientId = `conformance-${process.pid}-${++counter}`
  const clientSecret = `${clientId}-secret-${clientId}-secret-0123456789`
  await provider.registerClient({
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [`${url}/callback`],
    post_logout_redirect_uris: [`${url}/`],
    backchannel_logout_uri: `${url}/backchannel-logout`,
    backchannel_logout_session_required: true,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })
  const clock = { seconds: 0 }
  const auth = createOidcSession({
    issuer: provider.issuer,
    client: { id: clientId, secret: clientSecret },
    redirectUri: `${url}/callback`,
    postLogoutRedirectUri: `${url}/`,
    secrets: [SECRET],
    now: () => Date.now() + clock.seconds * 1000,
    ...options.session,
  })

  const harness: Conformance = {
    provider,
    url,
    clientId,
    clientSecret,
    auth,
    clock,
    keys,
    hooks,
    revocations,
    async authorize(username = 'alice', authorizationParams = {}) {
      const started = await auth.login(new Request(`${url}/login`), { authorizationParams })
      const cookie = cookiesFrom(started.headers)
      const location = started.headers.get('location')
      if (started.status !== 302 || location === null) throw new Error('login did not redirect')
      const walk = await new Agent().login(location, { username })
      await walk.response.body?.cancel()
      const callback = new URL(walk.url)
      if (callback.origin !== url || callback.pathname !== '/callback')
        throw new Error(`the provider did not come back to the callback (${callback.pathname})`)
      return { callback, cookie, location: new URL(location) }
    },
    async finish(callback, cookie) {
      try {
        return await auth.callback(new Request(callback, { headers: { cookie } }))
      } catch (error) {
        return error as Error
      }
    },
    async login(username = 'alice') {
      const { callback, cookie } = await harness.authorize(username)
      const response = await harness.finish(callback, cookie)
      if (response instanceof Error) throw response
      return cookiesFrom(response.headers)
    },
    request(cookie, path = '/api/me') {
      return new Request(`${url}${path}`, {
        headers: { accept: 'application/json', 'sec-fetch-site': 'same-origin', cookie },
      })
    },
    sign,
    reset() {
      delete hooks.authorization_code
      delete hooks.refresh_token
      revocations.length = 0
      clock.seconds = 0
    },
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await provider.close()
    },
  }
  return harness
}
