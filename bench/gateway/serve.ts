/**
 * A process of the gateway bench, printing `ready <port>` when listening:
 * - `upstream`: a trivial HTTP server (drains the body, answers a small JSON document);
 * - `gateway`: the example gateway (`examples/gateway`), configured from the environment;
 * - `pipe-proxy`: the floor of any Node reverse proxy, `http.request` piped both ways, no auth;
 * - `fetch-proxy`: a Web-standard reverse proxy without auth (Request → fetch → Response), the
 *   same Node glue and Fetch path the gateway uses, to separate their cost from the session's.
 */
import { once } from 'node:events'
import { Agent, createServer, request, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { createGateway, type GatewayEnv } from '../../examples/gateway/app.js'

const mode = process.argv[2]
const upstream = process.env.UPSTREAM_URL ?? ''

const pipeProxy = (): RequestListener => {
  const agent = new Agent({ keepAlive: true })
  const target = new URL(upstream)
  return (req, res) => {
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    out.on('error', () => res.writeHead(502).end())
    req.pipe(out)
  }
}

const fetchProxy = (): RequestListener => (req, res) => {
  const method = req.method ?? 'GET'
  const headers = new Headers()
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    if (!/^(host|connection|keep-alive|transfer-encoding)$/i.test(req.rawHeaders[i] as string))
      headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string)
  const init = {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD'
      ? {}
      : { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' }),
  } as RequestInit
  fetch(`${upstream}${req.url ?? '/'}`, init)
    .then(async (answer) => {
      res.statusCode = answer.status
      answer.headers.forEach((value, name) => res.setHeader(name, value))
      if (answer.body)
        for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>)
          if (!res.write(chunk)) await once(res, 'drain')
      res.end()
    })
    .catch(() => res.writeHead(502).end())
}

const listener: RequestListener =
  mode === 'upstream'
    ? (req, res) => {
        req.resume()
        req.on('end', () => {
          res.setHeader('content-type', 'application/json')
          res.end('{"ok":true}')
        })
      }
    : mode === 'pipe-proxy'
      ? pipeProxy()
      : mode === 'fetch-proxy'
        ? fetchProxy()
        : createGateway(process.env as GatewayEnv)
const server = createServer(listener)
server.keepAliveTimeout = 60_000
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', 4096, () => {
  console.log(`ready ${(server.address() as AddressInfo).port}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
