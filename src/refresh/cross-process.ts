/**
 * Cross-process single-flight: one process refreshes a grant while the others wait for its
 * result, on top of any {@link RefreshLock} (in-memory, Redis).
 *
 * @module
 */
import { ProviderUnavailableError } from '../errors.js'
import type { RefreshLock } from './lock.js'

/** Options of {@link runExclusive}. */
export interface RunExclusiveOptions<T> {
  /** Lock key: a hash (never a token). */
  key: string
  /** The lock shared by every process. */
  lock: RefreshLock
  /**
   * How long a holder keeps the lock without renewing it (a crashed holder is replaced after it).
   * Default: the lock's own `leaseMs`, else 10 000.
   */
  leaseMs?: number
  /** How long, in total, a caller waits for another holder before giving up. */
  waitMs: number
  /**
   * Looks for a result another holder produced (the recent-result cache). Called by the holder
   * before `work` (someone may have finished just before it acquired) and by every waiter when the
   * lock is released. `undefined` means "not found".
   */
  recheck: () => Promise<T | undefined>
  /** The work done by exactly one holder at a time (the refresh grant). */
  work: () => Promise<T>
  /** Time source in milliseconds. Default `Date.now`. */
  now?: () => number
}

/**
 * Run `work` under a cross-process lock, or reuse the result of the process that holds it.
 *
 * The holder calls `recheck()` first and then `work()`, and always releases. A caller that does not
 * get the lock waits until the holder releases it (woken by the lock, not by polling, with the
 * lease as fallback), calls `recheck()` and returns what it finds; if nothing is found (the holder
 * failed or crashed), it tries to acquire again, until `waitMs` has passed in total.
 *
 * @param options see {@link RunExclusiveOptions}
 * @returns the result of `recheck()` or `work()`
 * @throws `ERR_PROVIDER_UNAVAILABLE` ({@link ProviderUnavailableError}, transient) when the lock
 *   could not be had and no result appeared within `waitMs`; whatever `work()` throws; the lock's
 *   own errors (`ERR_STORE_UNAVAILABLE` when Redis is down) from `acquire`/`waitForRelease`.
 *
 * @example
 * ```ts
 * const tokens = await runExclusive({
 *   key, lock, leaseMs: 10_000, waitMs: 15_000,
 *   recheck: () => cache.get(key),
 *   work: () => refreshAtProvider(),
 * })
 * ```
 * @see https://redis.io/docs/latest/develop/use/patterns/distributed-locks/
 */
export async function runExclusive<T>(options: RunExclusiveOptions<T>): Promise<T> {
  const { key, lock, waitMs, recheck, work } = options
  const leaseMs = options.leaseMs ?? lock.leaseMs ?? 10_000
  const now = options.now ?? Date.now
  const deadline = now() + waitMs
  for (;;) {
    const lease = await lock.acquire(key, leaseMs)
    if (lease) {
      try {
        const found = await recheck()
        if (found !== undefined) return found
        return await work()
      } finally {
        // A release that fails (store down) is harmless: the lease expires on its own.
        await lease.release().catch(() => undefined)
      }
    }
    const remaining = deadline - now()
    if (remaining <= 0) {
      throw new ProviderUnavailableError('timed out waiting for another process to refresh')
    }
    await lock.waitForRelease(key, Math.min(remaining, leaseMs))
    const found = await recheck()
    if (found !== undefined) return found
  }
}
