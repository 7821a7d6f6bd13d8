/**
 * The classifier against what a real Chromium sends: every kind of request a page can make, sent
 * to a local `node:http` server that records the headers it received. Three origins:
 * `http://127.0.0.1` and `http://localhost` (potentially trustworthy: Chromium sends Fetch
 * Metadata) and `http://app.test` through a proxy (a plain-HTTP hostname: no Fetch Metadata, so
 * the fallback signals — `Accept`, `X-Requested-With`, JSON bodies — must decide).
 */
import { writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { classifyRequest, type AjaxReason } from 'oidc-session/ajax'
import { launchChromium } from '../fixtures/browser.js'

interface Recorded {
  url: string
  method: string
  headers: IncomingHttpHeaders
}

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
const PAGE = '<!doctype html><meta charset="utf-8"><title>corpus</title><body></body>'

const records = new Map<string, Recorded>()
const waiters = new Map<string, (recorded: Recorded) => void>()

function record(name: string, recorded: Recorded): void {
  if (records.has(name)) return // retries (EventSource reconnects, favicon…) do not overwrite
  records.set(name, recorded)
  waiters.get(name)?.(recorded)
}

/** The first request the server received for `/rec/<name>`, waiting for it if needed. */
function received(name: string): Promise<Recorded> {
  const seen = records.get(name)
  if (seen) return Promise.resolve(seen)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no request for /rec/${name}`)), 20_000)
    waiters.set(name, (recorded) => {
      clearTimeout(timer)
      resolve(recorded)
    })
  })
}

let server: Server
let port: number
const sockets = new Set<Socket>()
const track = (socket: Socket) => {
  sockets.add(socket)
  socket.once('close', () => sockets.delete(socket))
}
let browser: Browser

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const name = path.startsWith('/rec/') ? path.slice(5) : undefined
    req.resume()
    req.on('end', () => {
      if (name)
        record(name, { url: req.url ?? '/', method: req.method ?? 'GET', headers: req.headers })
      res.setHeader('cache-control', 'no-store')
      if (name?.includes('event-source')) return res.writeHead(204).end() // 204: no reconnect
      if (name?.includes('img')) return res.writeHead(200, { 'content-type': 'image/gif' }).end(GIF)
      if (name?.includes('script'))
        return res.writeHead(200, { 'content-type': 'text/javascript' }).end('void 0')
      if (name?.includes('stylesheet'))
        return res.writeHead(200, { 'content-type': 'text/css' }).end('')
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
    })
  })
  server.on('connection', track)
  server.on('upgrade', (req, socket) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.slice(5)
    record(name, { url: req.url ?? '/', method: req.method ?? 'GET', headers: req.headers })
    socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
  })
  // The proxy half, for `http://app.test`: WebSocket goes through CONNECT; tunnel it to ourselves.
  server.on('connect', (_req, client, head) => {
    const upstream = connect(port, '127.0.0.1', () => {
      track(upstream)
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client).pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
  browser = await launchChromium()
})

afterAll(async () => {
  if (process.env.CORPUS_DUMP)
    writeFileSync(process.env.CORPUS_DUMP, JSON.stringify(Object.fromEntries(records), null, 2))
  await browser?.close()
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => server?.close(resolve))
})

/** One kind of request: how the page makes it, and what the classifier must answer. */
interface Case {
  title: string
  /** `/rec/<name>` */
  name: string
  ajax: boolean
  /** The deciding signal with Fetch Metadata (127.0.0.1, localhost) and without it (app.test). */
  reasons: [AjaxReason, AjaxReason]
  /** Start from `about:blank` instead of the origin's page. */
  fromBlank?: boolean
  /** Make the request (the page is on `${origin}/page` unless `fromBlank`). */
  run(page: Page, url: string): Promise<unknown>
}

/** Run `code` in the page without waiting for any promise it starts. */
const script = (page: Page, code: string) => page.evaluate(`void (${code})`)

const CASES: Case[] = [
  {
    title: 'typed URL (page.goto) is a navigation',
    name: 'typed-url',
    ajax: false,
    reasons: ['fetch-metadata-navigation', 'accept-html'],
    fromBlank: true,
    run: (page, url) => page.goto(url),
  },
  {
    title: 'link click is a navigation',
    name: 'link',
    ajax: false,
    reasons: ['fetch-metadata-navigation', 'accept-html'],
    run: async (page, url) => {
      await script(page, `document.body.innerHTML = '<a id="go" href="${url}">go</a>'`)
      await page.click('#go')
    },
  },
  {
    title: 'form POST (urlencoded) is a navigation',
    name: 'form-post',
    ajax: false,
    reasons: ['fetch-metadata-navigation', 'accept-html'],
    run: async (page, url) => {
      await script(
        page,
        `document.body.innerHTML = '<form method="post" action="${url}"><input name="q" value="1"><button id="send">send</button></form>'`,
      )
      await page.click('#send')
    },
  },
  {
    title: 'iframe is a navigation',
    name: 'iframe',
    ajax: false,
    reasons: ['fetch-metadata-navigation', 'accept-html'],
    run: (page, url) =>
      script(
        page,
        `document.body.appendChild(Object.assign(document.createElement('iframe'), { src: '${url}' }))`,
      ),
  },
  {
    title: 'fetch() with defaults is an API call',
    name: 'fetch-default',
    ajax: true,
    reasons: ['fetch-metadata-subresource', 'accept-json'],
    run: (page, url) => script(page, `fetch('${url}').catch(() => {})`),
  },
  {
    title: 'fetch() POST with a JSON body and Accept: application/json is an API call',
    name: 'fetch-json',
    ajax: true,
    reasons: ['fetch-metadata-subresource', 'json-body'],
    run: (page, url) =>
      script(
        page,
        `fetch('${url}', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{}' }).catch(() => {})`,
      ),
  },
  {
    title: "fetch() with mode: 'no-cors' is an API call",
    name: 'fetch-no-cors',
    ajax: true,
    reasons: ['fetch-metadata-subresource', 'accept-json'],
    run: (page, url) => script(page, `fetch('${url}', { mode: 'no-cors' }).catch(() => {})`),
  },
  {
    title: "fetch() with cache: 'no-store' is an API call",
    name: 'fetch-no-store',
    ajax: true,
    reasons: ['fetch-metadata-subresource', 'accept-json'],
    run: (page, url) => script(page, `fetch('${url}', { cache: 'no-store' }).catch(() => {})`),
  },
  {
    title: 'XMLHttpRequest without X-Requested-With is an API call',
    name: 'xhr',
    ajax: true,
    reasons: ['fetch-metadata-subresource', 'accept-json'],
    run: (page, url) =>
      script(
        page,
        `(() => { const x = new XMLHttpRequest(); x.open('GET', '${url}'); x.send() })()`,
      ),
  },
  {
    title: 'XMLHttpRequest with X-Requested-With is an API call',
    name: 'xhr-x-requested-with',
    ajax: true,
    reasons: ['fetch-metadata-subresource', 'x-requested-with'],
    run: (page, url) =>
      script(
        page,
        `(() => { const x = new XMLHttpRequest(); x.open('GET', '${url}'); x.setRequestHeader('X-Requested-With', 'XMLHttpRequest'); x.send() })()`,
      ),
  },
  {
    title: '<img> is not a navigation (401, never a redirect to an HTML page)',
    name: 'img',
    ajax: true,
    reasons: ['fetch-metadata-subresource', 'accept-json'],
    run: (page, url) => script(page, `new Image().src = '${url}'`),
  },
  {
    title: '<script> is not a navigation',
    name: 'script',
    ajax: true,
    reasons: ['fetch-metadata-subresource', 'accept-json'],
    run: (page, url) =>
      script(
        page,
        `document.body.appendChild(Object.assign(document.createElement('script'), { src: '${url}' }))`,
      ),
  },
  {
    title: '<link rel=stylesheet> is not a navigation',
    name: 'stylesheet',
    ajax: true,
    reasons: ['fetch-metadata-subresource', 'accept-json'],
    run: (page, url) =>
      script(
        page,
        `document.head.appendChild(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '${url}' }))`,
      ),
  },
  {
    title: '<link rel=prefetch> is not a navigation',
    name: 'link-prefetch',
    ajax: true,
    reasons: ['prefetch', 'prefetch'],
    run: (page, url) =>
      script(
        page,
        `document.head.appendChild(Object.assign(document.createElement('link'), { rel: 'prefetch', href: '${url}' }))`,
      ),
  },
  {
    title: 'EventSource is an API call',
    name: 'event-source',
    ajax: true,
    reasons: ['fetch-metadata-subresource', 'accept-json'],
    run: (page, url) =>
      script(
        page,
        `(() => { const s = new EventSource('${url}'); s.onerror = () => s.close() })()`,
      ),
  },
  {
    title: 'navigator.sendBeacon is an API call',
    name: 'beacon',
    ajax: true,
    reasons: ['fetch-metadata-subresource', 'accept-json'],
    run: (page, url) => script(page, `navigator.sendBeacon('${url}', 'x')`),
  },
  {
    title: 'WebSocket is an API call',
    name: 'websocket',
    ajax: true,
    reasons: ['websocket', 'websocket'], // Chromium sends no Fetch Metadata on the handshake
    run: (page, url) =>
      script(
        page,
        `(() => { const w = new WebSocket('${url.replace(/^http/, 'ws')}'); w.onerror = () => {} })()`,
      ),
  },
]

const ORIGINS = [
  { label: 'http://127.0.0.1 (Fetch Metadata)', key: '127.0.0.1', host: () => `127.0.0.1:${port}` },
  { label: 'http://localhost (Fetch Metadata)', key: 'localhost', host: () => `localhost:${port}` },
  {
    label: 'http://app.test through a proxy (no Fetch Metadata)',
    key: 'proxy',
    host: () => 'app.test',
  },
]

/** At most `PARALLEL` pages at once: more starves a shared 2-core machine and stalls Chromium. */
const PARALLEL = 4
let running = 0
const queue: (() => void)[] = []
async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((resolve) => queue.push(resolve))
  running++
  try {
    return await work()
  } finally {
    running--
    queue.shift()?.()
  }
}

/** `promise`, or a rejection naming `step` after `ms`: a stuck browser call fails one test, not all. */
function within<T>(promise: Promise<T>, step: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${step}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Make one case's request in a fresh page of `context`; resolve with what the server received. */
async function makeRequest(context: BrowserContext, base: string, key: string, kase: Case) {
  const page = await within(context.newPage(), `${key}: new page`)
  try {
    const start = kase.fromBlank ? 'about:blank' : `${base}/page`
    await within(page.goto(start), `${key}: load ${start}`)
    const arrived = received(key)
    arrived.catch(() => {}) // awaited below; a failing run() must not leave it unhandled
    await within(kase.run(page, `${base}/rec/${key}`), `${key}: run`)
    return await arrived
  } finally {
    void page.close().catch(() => {}) // closing is housekeeping: the context closes it anyway
  }
}

const outcomes = new Map<string, Promise<Recorded>>()
const contexts: BrowserContext[] = []

// Every case on every origin runs in its own page, PARALLEL at a time; each test awaits its own outcome.
beforeAll(async () => {
  for (const origin of ORIGINS) {
    const context = await browser.newContext(
      origin.key === 'proxy' ? { proxy: { server: `http://127.0.0.1:${port}` } } : {},
    )
    contexts.push(context)
    for (const kase of CASES) {
      const key = `${origin.key}-${kase.name}`
      const outcome = slot(() => makeRequest(context, `http://${origin.host()}`, key, kase))
      outcome.catch(() => {}) // reported by the test that awaits it
      outcomes.set(key, outcome)
    }
  }
  await Promise.allSettled(outcomes.values())
})

afterAll(async () => {
  for (const context of contexts) await context.close()
})

for (const origin of ORIGINS) {
  const proxied = origin.key === 'proxy'
  describe(`Chromium on ${origin.label}`, () => {
    for (const kase of CASES) {
      it(kase.title, async () => {
        const got = await outcomes.get(`${origin.key}-${kase.name}`)!
        const metadata = got.headers['sec-fetch-mode'] !== undefined
        expect(metadata, 'Fetch Metadata sent').toBe(!proxied && kase.name !== 'websocket')
        expect(
          classifyRequest(got),
          `${got.method} headers ${JSON.stringify(got.headers)}`,
        ).toEqual({ ajax: kase.ajax, reason: kase.reasons[proxied ? 1 : 0] })
      })
    }
  })
}
