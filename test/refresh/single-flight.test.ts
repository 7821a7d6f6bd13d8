import { describe, expect, it } from 'vitest'
import { refreshKey } from '../../src/refresh/scheduler.js'
import { SingleFlight } from '../../src/refresh/single-flight.js'

/** A promise settled from outside. */
function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Let queued microtasks run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('SingleFlight', () => {
  it('calls the work once for N concurrent runs of one key and gives all the same result', async () => {
    const flight = new SingleFlight<string>()
    const gate = deferred<string>()
    let calls = 0
    const work = () => {
      calls++
      return gate.promise
    }
    const runs = Array.from({ length: 25 }, () => flight.run('k', work))
    expect(flight.size).toBe(1)
    expect(runs[0]).toBe(flight.get('k')) // the first caller holds the flight; joiners follow it
    await tick()
    expect(calls).toBe(1)
    gate.resolve('done')
    expect(await Promise.all(runs)).toEqual(Array(25).fill('done'))
    expect(calls).toBe(1)
  })

  it('shares a failure with every concurrent caller, then does not cache it', async () => {
    const flight = new SingleFlight<string>()
    let calls = 0
    const failing = async () => {
      calls++
      throw new Error(`boom ${calls}`)
    }
    const runs = [flight.run('k', failing), flight.run('k', failing), flight.run('k', failing)]
    const results = await Promise.allSettled(runs)
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(
      results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : '')),
    ).toEqual(['boom 1', 'boom 1', 'boom 1'])
    expect(calls).toBe(1)
    expect(flight.size).toBe(0)
    // The next run calls the work again.
    await expect(flight.run('k', async () => 'recovered')).resolves.toBe('recovered')
  })

  it('turns a synchronous throw into a rejection and clears the key', async () => {
    const flight = new SingleFlight<number>()
    const run = flight.run('k', () => {
      throw new Error('sync')
    })
    await expect(run).rejects.toThrow('sync')
    expect(flight.size).toBe(0)
    expect(flight.get('k')).toBeUndefined()
  })

  it('runs different keys separately and concurrently', async () => {
    const flight = new SingleFlight<string>()
    const gates = { a: deferred<string>(), b: deferred<string>() }
    const calls: string[] = []
    const a = flight.run('a', () => {
      calls.push('a')
      return gates.a.promise
    })
    const b = flight.run('b', () => {
      calls.push('b')
      return gates.b.promise
    })
    expect(a).not.toBe(b)
    expect(flight.size).toBe(2)
    await tick()
    expect(calls.sort()).toEqual(['a', 'b'])
    gates.b.resolve('B')
    expect(await b).toBe('B')
    expect(flight.size).toBe(1)
    expect(flight.get('a')).toBe(a)
    gates.a.resolve('A')
    expect(await a).toBe('A')
  })

  it('empties its map once everything has settled (success and failure)', async () => {
    const flight = new SingleFlight<number>()
    const ok = flight.run('ok', async () => 1)
    const ko = flight.run('ko', async () => {
      throw new Error('x')
    })
    expect(flight.size).toBe(2)
    await Promise.allSettled([ok, ko])
    expect(flight.size).toBe(0)
    expect(flight.get('ok')).toBeUndefined()
    expect(flight.get('ko')).toBeUndefined()
  })

  it('starts a new run after the previous one settled (no result caching)', async () => {
    const flight = new SingleFlight<number>()
    let calls = 0
    const work = async () => ++calls
    expect(await flight.run('k', work)).toBe(1)
    expect(await flight.run('k', work)).toBe(2)
    expect(calls).toBe(2)
  })

  it('does not call the work synchronously inside run', () => {
    const flight = new SingleFlight<number>()
    let called = false
    const run = flight.run('k', async () => {
      called = true
      return 1
    })
    expect(called).toBe(false)
    return run.then((value) => {
      expect(value).toBe(1)
      expect(called).toBe(true)
    })
  })
})

describe('refreshKey', () => {
  const TOKEN = 'refresh-token-SECRET-value'

  it('is a base64url SHA-256 that never contains the token', async () => {
    const key = await refreshKey(TOKEN, { scope: 'openid' })
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(key).not.toContain(TOKEN)
    expect(key).not.toContain('SECRET')
  })

  it('is deterministic and independent of parameter order', async () => {
    const a = await refreshKey(TOKEN, { scope: 'openid', resource: 'https://api', audience: 'x' })
    const b = await refreshKey(TOKEN, { audience: 'x', resource: 'https://api', scope: 'openid' })
    expect(a).toBe(b)
    expect(await refreshKey(TOKEN)).toBe(await refreshKey(TOKEN, {}))
  })

  it('differs when the token or any parameter name or value differs', async () => {
    const variants = await Promise.all([
      refreshKey(TOKEN),
      refreshKey(`${TOKEN}x`),
      refreshKey(TOKEN, { scope: 'openid' }),
      refreshKey(TOKEN, { scope: 'openid profile' }),
      refreshKey(TOKEN, { resource: 'openid' }),
      refreshKey(TOKEN, { scope: 'openid', resource: 'https://api' }),
      refreshKey(TOKEN, { scope: '' }),
      refreshKey(TOKEN, { '': '' }),
    ])
    expect(new Set(variants).size).toBe(variants.length)
  })

  it('cannot be confused by separators moved between token and parameters', async () => {
    const variants = await Promise.all([
      refreshKey('a', { b: 'c' }),
      refreshKey('a,b', { '': 'c' }),
      refreshKey('a', { 'b,c': '' }),
      refreshKey('a"', { b: 'c' }),
      refreshKey('a', { b: 'c', d: 'e' }),
      refreshKey('a', { b: 'c,d,e' }),
    ])
    expect(new Set(variants).size).toBe(variants.length)
  })
})
