/**
 * Four application processes sharing one Redis and one real provider (refresh-token rotation on):
 * 1 000 concurrent requests carrying the same expired session make exactly one refresh call, for
 * cookie sessions and Redis sessions alike; a pre-refresh cookie replayed 5 s later still works; a
 * lock holder killed mid-refresh is replaced after its lease; a Redis outage is a typed transient
 * failure that loses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent } from '../../fixtures/agent.js'
import { startProvider, type TestProvider } from '../../fixtures/provider.js'
import { startRedis, type TestRedis } from '../../fixtures/redis.js'
import {
  registerWorkerClient,
  startWorker,
  workerPorts,
  type Worker,
  type WorkerGroupConfig,
} from './workers.js'

/** The lease of the crashing holder (the others keep the default 5 s: a loaded process must renew). */
const LEASE_MS = 1000
const PER_WORKER = 250

let provider: TestProvider
let redis: TestRedis
let config: WorkerGroupConfig
let workers: Worker[] = []
let clock = 0 // seconds added to every worker's clock

beforeAll(async () => {
  ;[provider, redis] = await Promise.all([
    startProvider({ accessTokenTtl: 300, idTokenTtl: 3600 }),
    startRedis(),
  ])
  const { port, appUrl } = await workerPorts()
  config = {
    provider,
    redisUrl: redis.url,
    appUrl,
    clientId: 'cluster-app',
    clientSecret: 'cluster-app-secret-cluster-app-secret-0123',
    secret: 'cluster-session-secret-cluster-session-0123',
  }
  await registerWorkerClient(config)
  workers = await Promise.all([
    startWorker(config, 'w0', { port }),
    startWorker(config, 'w1'),
    startWorker(config, 'w2'),
    startWorker(config, 'w3'),
  ])
}, 60_000)

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()))
  await provider?.close()
  await redis?.close()
})

/** Log in through the first worker; returns the session's `Cookie` header. */
async function login(route: 'c' | 'r', username: string): Promise<string> {
  const agent = new Agent()
  const { response, url } = await agent.login(`${config.appUrl}/${route}/login`, { username })
  expect(response.status, await response.clone().text()).toBe(200)
  expect(new URL(url).pathname).toBe(`/${route}/me`)
  return agent.jar.header(config.appUrl)
}

/** Move every worker's clock `seconds` ahead of where it is. */
async function advance(seconds: number, group = workers): Promise<void> {
  clock += seconds
  await Promise.all(group.map((w) => w.setClock(clock)))
}

interface Answer {
  status: number
  body: { sub?: string; reason?: string; worker?: string }
  setCookie: string[]
}

async function me(worker: Worker, route: 'c' | 'r', cookie: string): Promise<Answer> {
  const response = await fetch(`${worker.url}/${route}/me`, {
    headers: { cookie, accept: 'application/json' },
  })
  return {
    status: response.status,
    body: (await response.json()) as Answer['body'],
    setCookie: response.headers.getSetCookie(),
  }
}

/** `Cookie` header equivalent to what a browser sends after these `Set-Cookie` lines. */
function applyCookies(cookie: string, setCookie: string[]): string {
  const jar = new Map(
    cookie
      .split('; ')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  )
  for (const line of setCookie) {
    const pair = line.split(';')[0]!
    const name = pair.slice(0, pair.indexOf('='))
    const value = pair.slice(pair.indexOf('=') + 1)
    if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') jar.delete(name)
    else jar.set(name, value)
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
}

describe.each([
  ['cookie sessions', 'c' as const],
  ['Redis sessions', 'r' as const],
])('4 processes, %s', (_label, route) => {
  it('1 000 concurrent requests with one expired session → exactly 1 refresh call, 0 failures, 0 lost sessions; the pre-refresh cookie works 5 s later', async () => {
    const cookie = await login(route, `burst-${route}`)
    provider.counters.reset()
    await advance(300) // the access token (300 s) has expired

    const started = Date.now()
    const answers = await Promise.all(
      workers.flatMap((worker) =>
        Array.from({ length: PER_WORKER }, () => me(worker, route, cookie)),
      ),
    )
    console.log(
      `burst (${route}): ${Date.now() - started} ms, token calls ${JSON.stringify(provider.counters.token)}`,
    )
    expect(answers).toHaveLength(4 * PER_WORKER)
    const failures = answers.filter((a) => a.status !== 200 || a.body.sub !== `burst-${route}`)
    expect(failures).toEqual([])
    expect(provider.counters.token.refresh_token).toBe(1)
    expect(provider.counters.tokenErrors).toEqual({})
    // Every process answered its share, each from the one refresh (its own or another's).
    for (const worker of workers) {
      expect(answers.filter((a) => a.body.worker === worker.name)).toHaveLength(PER_WORKER)
    }

    // 0 lost sessions: the cookie each process handed out keeps working everywhere, no refresh.
    for (const [i, worker] of workers.entries()) {
      const answer = answers.find((a) => a.body.worker === worker.name)!
      const next = applyCookies(cookie, answer.setCookie)
      const again = await me(workers[(i + 1) % workers.length]!, route, next)
      expect(again.status).toBe(200)
      expect(again.body.reason).toBe('valid')
    }

    // The pre-refresh cookie, replayed 5 s later on another process: the new tokens, no new call.
    await advance(5)
    const late = await me(workers[3]!, route, cookie)
    expect(late.status).toBe(200)
    expect(late.body.sub).toBe(`burst-${route}`)
    expect(provider.counters.token.refresh_token).toBe(1)
    expect(provider.counters.tokenErrors).toEqual({})
  })
})

describe('failures across processes', () => {
  it('a lock holder killed with SIGKILL mid-refresh is replaced after its lease', async () => {
    const victim = await startWorker(config, 'victim', {
      env: { LEASE_MS: String(LEASE_MS), SLOW_REFRESH: '1' },
    })
    try {
      const cookie = await login('c', 'crash')
      provider.counters.reset()
      await advance(300, [...workers, victim])
      const held = victim.waitFor('HOLDING')
      const orphan = me(victim, 'c', cookie).catch(() => undefined) // never answered
      await held // the victim holds the lock, its token request not yet sent
      await victim.stop('SIGKILL')
      await orphan

      const started = Date.now()
      const answer = await me(workers[1]!, 'c', cookie)
      const elapsed = Date.now() - started
      console.log(`replacement after SIGKILL answered in ${elapsed} ms (lease ${LEASE_MS} ms)`)
      expect(answer.status).toBe(200)
      expect(answer.body.sub).toBe('crash')
      expect(provider.counters.token.refresh_token).toBe(1)
      // Lease (1 s) + one token call; the bound is generous for a loaded 2-core machine, and far
      // under the 12 s the waiter would need if only its own wait deadline freed it.
      expect(elapsed).toBeLessThan(LEASE_MS + 4000)
    } finally {
      await victim.stop('SIGKILL')
    }
  })

  it('a Redis outage during refresh is a typed transient failure (503), nothing is lost', async () => {
    const cookie = await login('c', 'outage')
    provider.counters.reset()
    await advance(300)
    await redis.stop()
    try {
      const answer = await me(workers[2]!, 'c', cookie)
      expect(answer.status).toBe(401)
      expect(answer.body.reason).toBe('store-unavailable')
      // Nothing consumed at the provider, nothing deleted in the browser.
      expect(provider.counters.token.refresh_token ?? 0).toBe(0)
      expect(answer.setCookie.filter((line) => /max-age=0/i.test(line))).toEqual([])
    } finally {
      await redis.start()
    }
    // Once Redis is back (the workers' clients reconnect), the same cookie refreshes once.
    for (let attempt = 0; ; attempt++) {
      const ping = await fetch(`${workers[2]!.url}/__redis`)
      await ping.arrayBuffer()
      if (ping.ok) break
      expect(attempt).toBeLessThan(100)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const answer = await me(workers[2]!, 'c', cookie)
    expect(answer.status).toBe(200)
    expect(answer.body.sub).toBe('outage')
    expect(provider.counters.token.refresh_token).toBe(1)
  })
})
