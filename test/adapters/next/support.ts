/**
 * A stand-in for Next.js around `oidcProxy`: a `node:http` server that hands each request to the
 * proxy as a `NextRequest`, sends what it answers, and for `NextResponse.next()` plays the route:
 * it answers 200 with the request headers the route would see (Next.js's `x-middleware-request-*`
 * overrides applied) — so a test can log in with the `Agent` and read what reached "the page".
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { NextRequest } from 'next/server'
import { createOidcSession, type OidcSession, type OidcSessionConfig } from 'oidc-session'
import { clientMetadata, freePort, type TestProvider } from '../../fixtures/provider.js'

/** What the stand-in route answers: the headers the downstream route received. */
export interface Downstream {
  cookie: string | null
  overridden: string[]
}

/** The request headers a route sees behind a proxy answer (Next.js's override protocol). */
export function downstreamOf(request: Request, response: Response): Downstream {
  const overridden = response.headers.get('x-middleware-override-headers')
  if (overridden === null) return { cookie: request.headers.get('cookie'), overridden: [] }
  const keys = overridden === '' ? [] : overridden.split(',')
  return {
    cookie: keys.includes('cookie') ? response.headers.get('x-middleware-request-cookie') : null,
    overridden: keys,
  }
}

async function toNextRequest(req: IncomingMessage, origin: string): Promise<NextRequest> {
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const v of [value].flat()) headers.append(name, v)
  }
  const method = req.method ?? 'GET'
  return new NextRequest(new URL(req.url ?? '/', origin), {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
  })
}

/** A running stand-in. */
export interface ProxyBed {
  url: string
  auth: OidcSession
  clientId: string
  clientSecret: string
  /** Seconds added to the manager's clock. */
  clock: { seconds: number }
  close(): Promise<void>
}

let counter = 0

/**
 * Serve `makeProxy(auth)` for a manager registered at `provider` as its own client.
 *
 * @param makeProxy builds the proxy function under test from the manager
 */
export async function startProxyBed(
  provider: TestProvider,
  makeProxy: (auth: OidcSession) => (request: NextRequest) => Promise<Response>,
  options: Partial<OidcSessionConfig> = {},
): Promise<ProxyBed> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const clientId = `next-adapter-${process.pid}-${++counter}`
  const clientSecret = `${clientId}-secret-${clientId}-secret-0123456789`
  await provider.registerClient(
    clientMetadata(url, { client_id: clientId, client_secret: clientSecret }),
  )
  const clock = { seconds: 0 }
  const auth = createOidcSession({
    issuer: provider.issuer,
    client: { id: clientId, secret: clientSecret },
    redirectUri: `${url}/callback`,
    secrets: ['next-adapter-secret-next-adapter-secret-0123'],
    now: () => Date.now() + clock.seconds * 1000,
    ...options,
  })
  const proxy = makeProxy(auth)
  const server: Server = createServer((req, res) => {
    void (async () => {
      const request = await toNextRequest(req, url)
      const response = await proxy(request)
      if (response.headers.get('x-middleware-next') === '1') {
        const body = JSON.stringify(downstreamOf(request, response))
        res.statusCode = 200
        res.setHeader('content-type', 'application/json')
        const cookies = response.headers.getSetCookie()
        if (cookies.length > 0) res.setHeader('set-cookie', cookies)
        res.end(body)
        return
      }
      res.statusCode = response.status
      response.headers.forEach((value, name) => {
        if (name !== 'set-cookie') res.setHeader(name, value)
      })
      const cookies = response.headers.getSetCookie()
      if (cookies.length > 0) res.setHeader('set-cookie', cookies)
      res.end(Buffer.from(await response.arrayBuffer()))
    })().catch((error: unknown) => {
      res.statusCode = 500
      res.end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  if ((server.address() as AddressInfo).port !== port) throw new Error('port mismatch')
  return {
    url,
    auth,
    clientId,
    clientSecret,
    clock,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
