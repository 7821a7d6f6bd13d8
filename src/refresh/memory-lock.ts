/**
 * An in-process {@link RefreshLock}: for tests and single-process applications.
 *
 * @module
 */
import type { LockLease, RefreshLock } from './lock.js'

/** Options of {@link memoryLock}. */
export interface MemoryLockOptions {
  /** Time source in milliseconds, for lease expiry. Default `Date.now`. */
  now?: () => number
}

/**
 * Create an in-process {@link RefreshLock}. Leases expire after `leaseMs` unless released (there is
 * no renewal: a holder in the same process cannot crash without its process). Waiters are woken
 * on release, or when their timeout (capped by the holder's lease) ends.
 *
 * @param options see {@link MemoryLockOptions}
 * @returns the lock
 * @example
 * ```ts
 * const auth = createOidcSession({ …, refresh: { lock: memoryLock() } })
 * ```
 */
export function memoryLock(options: MemoryLockOptions = {}): RefreshLock {
  const now = options.now ?? Date.now
  const held = new Map<string, { lease: object; until: number }>()
  const waiters = new Map<string, Set<() => void>>()

  const wake = (key: string) => {
    const set = waiters.get(key)
    if (!set) return
    waiters.delete(key)
    for (const resolve of set) resolve()
  }

  const current = (key: string) => {
    const entry = held.get(key)
    if (entry && entry.until <= now()) {
      held.delete(key)
      return undefined
    }
    return entry
  }

  return {
    shared: false,
    async acquire(key, leaseMs) {
      if (current(key)) return null
      const lease: LockLease = {
        async release() {
          if (held.get(key)?.lease !== lease) return
          held.delete(key)
          wake(key)
        },
      }
      held.set(key, { lease, until: now() + leaseMs })
      return lease
    },
    waitForRelease(key, timeoutMs) {
      const entry = current(key)
      if (!entry) return Promise.resolve()
      return new Promise<void>((resolve) => {
        let set = waiters.get(key)
        if (!set) {
          set = new Set()
          waiters.set(key, set)
        }
        const done = () => {
          clearTimeout(timer)
          waiters.get(key)?.delete(done)
          resolve()
        }
        const timer = setTimeout(done, Math.max(0, Math.min(timeoutMs, entry.until - now())))
        set.add(done)
      })
    },
  }
}
