/**
 * oidc-session/node: IncomingMessage → Web Request (header arrays, a streamed body with
 * duplex 'half', an absolute URL), Web Response → ServerResponse (every Set-Cookie line, streamed
 * bodies, HEAD), Set-Cookie lines that survive the app's own setHeader/writeHead, and handler().
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SessionRequiredError } from 'oidc-session'
import {
  appendSetCookies,
  authenticate,
  handler,
  protect,
  sendWebResponse,
  toWebRequest,
} from 'oidc-session/node'
import {
  FORM,
  JSON_API,
  REFRESHED,
  closing,
  listening,
  send,
  standIn,
  type Seen,
} from './support.js'

let server: Server | undefined
afterEach(() => closing(server))

function serve(listener: (req: IncomingMessage, res: ServerResponse) => unknown): Promise<Server> {
  server = createServer((req, res) => {
    Promise.resolve(listener(req, res)).catch((error: unknown) => {
      res.statusCode = 599
      res.end(String(error))
    })
  })
  return listening(server)
}

describe('toWebRequest', () => {
  it('builds an absolute URL, keeps every header line and streams the body (duplex half)', async () => {
    const s = await serve(async (req, res) => {
      const request = toWebRequest(req)
      const text = await request.text()
      res.end(
        JSON.stringify({
          url: request.url,
          method: request.method,
          multi: request.headers.get('x-multi'),
          length: text.length,
          tail: text.slice(-5),
        }),
      )
    })
    const body = 'x'.repeat(300_000) + 'tail!'
    const answer = await send(s, '/path?q=1', {
      method: 'POST',
      headers: { host: 'app.example:8080', 'x-multi': 'a', 'content-type': 'text/plain' },
      body,
    })
    const seen = JSON.parse(answer.body) as Record<string, unknown>
    expect(seen).toEqual({
      url: 'http://app.example:8080/path?q=1',
      method: 'POST',
      multi: 'a',
      length: body.length,
      tail: 'tail!',
    })
  })

  it('appends repeated header lines and takes the origin from the options', async () => {
    const s = await serve((req, res) => {
      const request = toWebRequest(req, { origin: 'https://configured.example' })
      res.end(JSON.stringify({ url: request.url, accept: request.headers.get('x-repeated') }))
    })
    // Two lines of the same header, as a client may send them.
    const answer = await new Promise<string>((resolve, reject) => {
      const { port } = s.address() as { port: number }
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(
          'GET /a HTTP/1.1\r\nHost: x\r\nX-Repeated: one\r\nX-Repeated: two\r\nConnection: close\r\n\r\n',
        ),
      )
      let data = ''
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()))
      socket.on('end', () => resolve(data.slice(data.indexOf('\r\n\r\n') + 4)))
      socket.on('error', reject)
    })
    expect(JSON.parse(answer)).toEqual({ url: 'https://configured.example/a', accept: 'one, two' })
  })

  it('uses the text a body parser already read', async () => {
    const s = await serve(async (req, res) => {
      let text = ''
      for await (const chunk of req) text += String(chunk)
      const parsed = Object.assign(req, { body: text.toUpperCase() })
      res.end(await toWebRequest(parsed).text())
    })
    const answer = await send(s, '/', { method: 'POST', headers: FORM, body: 'a=1&b=2' })
    expect(answer.body).toBe('A=1&B=2')
  })
})

describe('sendWebResponse', () => {
  it('keeps every Set-Cookie line, the app’s own included', async () => {
    const s = await serve(async (_req, res) => {
      res.setHeader('set-cookie', 'app=1; Path=/')
      const headers = new Headers({ 'content-type': 'text/plain', 'x-extra': 'yes' })
      headers.append('set-cookie', 'a=1; Path=/')
      headers.append('set-cookie', 'b=2; Path=/; Expires=Thu, 01 Jan 2099 00:00:00 GMT')
      await sendWebResponse(res, new Response('ok', { status: 201, headers }))
    })
    const answer = await send(s, '/')
    expect(answer.status).toBe(201)
    expect(answer.body).toBe('ok')
    expect(answer.headers['x-extra']).toBe('yes')
    expect(answer.setCookie).toEqual([
      'app=1; Path=/',
      'a=1; Path=/',
      'b=2; Path=/; Expires=Thu, 01 Jan 2099 00:00:00 GMT',
    ])
  })

  it('streams a body written piece by piece', async () => {
    const s = await serve(async (_req, res) => {
      let sent = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent === 64) return controller.close()
          sent += 1
          controller.enqueue(new Uint8Array(16_384).fill(97))
        },
      })
      await sendWebResponse(res, new Response(body))
    })
    const answer = await send(s, '/')
    expect(answer.body.length).toBe(64 * 16_384)
    expect(answer.headers['transfer-encoding']).toBe('chunked')
  })

  it('sends no body for HEAD, 204 and 304, headers and cookies still', async () => {
    const s = await serve(async (req, res) => {
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200)
      const headers = new Headers({ 'x-kept': '1', 'set-cookie': 'c=1; Path=/' })
      await sendWebResponse(res, new Response(status === 200 ? 'body' : null, { status, headers }))
    })
    for (const [path, method, status] of [
      ['/?status=200', 'HEAD', 200],
      ['/?status=204', 'GET', 204],
      ['/?status=304', 'GET', 304],
    ] as const) {
      const answer = await send(s, path, { method })
      expect(answer.status).toBe(status)
      expect(answer.body).toBe('')
      expect(answer.headers['x-kept']).toBe('1')
      expect(answer.setCookie).toEqual(['c=1; Path=/'])
    }
  })
})

describe('appendSetCookies', () => {
  it('keeps its lines through a later setHeader and writeHead(status, headers), once each', async () => {
    const s = await serve((req, res) => {
      appendSetCookies(res, REFRESHED)
      appendSetCookies(res, [REFRESHED[0]!]) // already there: not repeated
      if (req.url === '/set') {
        res.setHeader('Set-Cookie', 'mine=1; Path=/') // replaces what was there…
        res.end('x')
      } else if (req.url === '/write-head') {
        res.writeHead(200, { 'Set-Cookie': ['mine=2; Path=/'], 'content-type': 'text/plain' })
        res.end('x')
      } else {
        res.setHeader('content-type', 'text/plain')
        res.writeHead(200, ['X-Raw', 'yes', 'Set-Cookie', 'raw=1; Path=/'])
        res.end('x')
      }
    })
    expect((await send(s, '/set')).setCookie).toEqual(['mine=1; Path=/', ...REFRESHED])
    expect((await send(s, '/write-head')).setCookie).toEqual(['mine=2; Path=/', ...REFRESHED])
    const raw = await send(s, '/raw')
    expect(raw.headers['x-raw']).toBe('yes')
    expect(raw.setCookie.sort()).toEqual([...REFRESHED, 'raw=1; Path=/'].sort())
  })
})

describe('handler()', () => {
  it('serves the auth routes through auth.handler(), streaming a POST body to it', async () => {
    const s = await serve(handler(standIn()))
    const post = await send(s, '/backchannel-logout', {
      method: 'POST',
      headers: FORM,
      body: 'logout_token=abc',
    })
    expect(post.status).toBe(200)
    expect(JSON.parse(post.body) as Seen).toEqual({
      method: 'POST',
      path: '/backchannel-logout',
      form: { logout_token: 'abc' },
      web: true,
    })
    expect(post.setCookie).toEqual(['tx=; Path=/; Max-Age=0', 'other=; Path=/; Max-Age=0'])
    const login = await send(s, '/login?returnTo=/x')
    expect(login.status).toBe(302)
    expect(login.headers.location).toBe('https://idp.example/auth')
    expect(login.body).toBe('')
  })

  it('passes other paths on, or answers 404 without a listener', async () => {
    const plain = await serve(handler(standIn()))
    expect((await send(plain, '/elsewhere')).status).toBe(404)
    await closing(plain)
    const s = await serve(handler(standIn(), (_req, res) => void res.end('app')))
    expect((await send(s, '/elsewhere')).body).toBe('app')
  })

  it('turns a library error from the app into its answer, any other into a 500', async () => {
    const onError = vi.fn()
    const s = await serve(
      handler(
        standIn(),
        (req) => {
          throw req.url === '/library' ? new SessionRequiredError('none') : new Error('boom')
        },
        { onError },
      ),
    )
    const library = await send(s, '/library', { headers: JSON_API })
    expect(library.status).toBe(401)
    expect(JSON.parse(library.body)).toEqual({ code: 'ERR_SESSION_REQUIRED' })
    expect(onError).not.toHaveBeenCalled()
    const other = await send(s, '/other', { headers: JSON_API })
    expect(other.status).toBe(500)
    expect(onError).toHaveBeenCalledOnce()
  })
})

describe('protect() and authenticate()', () => {
  it('answer for a request without a session, or give the session and append its cookies', async () => {
    const auth = standIn()
    const s = await serve(
      handler(auth, async (req, res) => {
        if (req.url === '/optional') {
          const oidc = await authenticate(auth, req, res)
          return void res.end(oidc.ok ? `hi ${oidc.session.sub}` : 'guest')
        }
        const oidc = await protect(auth, req, res)
        if (!oidc) return
        res.setHeader('Set-Cookie', 'mine=1; Path=/')
        res.end(`hello ${oidc.session.sub} (${oidc.reason})`)
      }),
    )
    const anonymous = await send(s, '/', { headers: JSON_API })
    expect(anonymous.status).toBe(401)
    expect(JSON.parse(anonymous.body)).toEqual({ error: 'unauthorized' })
    const signedIn = await send(s, '/', { headers: { cookie: 'session=ok' } })
    expect(signedIn.body).toBe('hello alice (refreshed)')
    expect(signedIn.setCookie).toEqual(['mine=1; Path=/', ...REFRESHED])
    expect((await send(s, '/optional')).body).toBe('guest')
    const optional = await send(s, '/optional', { headers: { cookie: 'session=ok' } })
    expect(optional.body).toBe('hi alice')
    expect(optional.setCookie).toEqual(REFRESHED)
  })
})
