/**
 * The worker's outbound network for the Workers experiments: workerd sends every `fetch()` of the
 * worker here (an `external` service as `globalOutbound`), and this proxy forwards it to the
 * provider at once. A test can hold the *answer* to one kind of call (discovery, a refresh grant,
 * the JWKS) until it releases it — the provider has done the work, the answer is on its way —
 * and sees when workerd gives up on a call (the caller's connection closes before the answer).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What a provider call is, as the proxy classifies it. */
export type CallKind =
  'discovery' | 'jwks' | 'token:refresh_token' | 'token:other' | 'store-io' | 'other'

/** One call the worker made. */
export interface OutboundCall {
  kind: CallKind
  /** Answered to the worker (`answered`), or the worker closed the connection first (`abandoned`). */
  outcome: 'pending' | 'answered' | 'abandoned'
  /** Status of the provider's answer. */
  status?: number
}

/** A held kind of call: resolves `arrived` at the first such call, answers once released. */
export interface Hold {
  /** Resolves when the first held call has reached the provider. */
  readonly arrived: Promise<void>
  /** Lets every held answer through (and stops holding). */
  release(): void
}

/** The running proxy. */
export interface OutboundProxy {
  port: number
  /** Every call so far, in order. */
  calls: OutboundCall[]
  /** Hold the answers to calls of `kind` until `release()`. */
  hold(kind: CallKind): Hold
  /** Resolves when every call has been answered or abandoned. */
  settled(): Promise<void>
  close(): Promise<void>
}

function classify(req: IncomingMessage, body: Buffer): CallKind {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  if (path === '/.well-known/openid-configuration') return 'discovery'
  if (path === '/jwks') return 'jwks'
  // The test app's stand-in for a store's subrequest (`STORE_IO=1`): the provider answers 404.
  if (path === '/__store-io') return 'store-io'
  if (path === '/token' && req.method === 'POST') {
    const grant = new URLSearchParams(body.toString('utf8')).get('grant_type')
    return grant === 'refresh_token' ? 'token:refresh_token' : 'token:other'
  }
  return 'other'
}

/**
 * Start the proxy in front of the provider at `127.0.0.1:providerPort`.
 *
 * @param providerPort the provider's port
 * @returns the proxy
 */
export async function startOutboundProxy(providerPort: number): Promise<OutboundProxy> {
  const calls: OutboundCall[] = []
  const holds = new Map<CallKind, { arrived: () => void; released: Promise<void> }>()
  const pending = new Set<Promise<void>>()

  const server: Server = createServer((req, res) => {
    const call: OutboundCall = { kind: 'other', outcome: 'pending' }
    calls.push(call)
    const done = new Promise<void>((resolve) => {
      res.once('close', () => {
        if (call.outcome === 'pending')
          call.outcome = res.writableFinished ? 'answered' : 'abandoned'
        resolve()
      })
    })
    pending.add(done)
    void done.then(() => pending.delete(done))

    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      call.kind = classify(req, body)
      const hold = holds.get(call.kind)
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: providerPort,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent: false,
        },
        (answer) => {
          const parts: Buffer[] = []
          answer.on('data', (chunk: Buffer) => parts.push(chunk))
          answer.on('end', () => {
            call.status = answer.statusCode ?? 0
            const send = () => {
              if (res.destroyed) return
              res.writeHead(answer.statusCode ?? 502, answer.headers)
              res.end(Buffer.concat(parts))
            }
            if (hold) void hold.released.then(send)
            else send()
          })
        },
      )
      upstream.on('error', () => res.destroy())
      upstream.end(body)
      hold?.arrived()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    port,
    calls,
    hold(kind) {
      let arrived!: () => void
      let release!: () => void
      const arrivedPromise = new Promise<void>((resolve) => (arrived = resolve))
      const released = new Promise<void>((resolve) => (release = resolve))
      holds.set(kind, { arrived, released })
      return {
        arrived: arrivedPromise,
        release: () => {
          holds.delete(kind)
          release()
        },
      }
    },
    async settled() {
      while (pending.size > 0) await Promise.all([...pending])
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
}
