/**
 * Lets logout wait for a refresh of the session's grant that is in flight in this process.
 *
 * @module
 */
import type { RefreshScheduler } from '../refresh/scheduler.js'

/** A scheduler whose in-flight refreshes can be awaited by refresh token. */
export type TrackedScheduler<S extends RefreshScheduler = RefreshScheduler> = S & {
  /**
   * Resolves once every refresh of `refreshToken` started in this process before the call has
   * settled (successfully or not); at once when none is in flight. Never rejects.
   */
  settled(refreshToken: string): Promise<void>
}

/**
 * Wrap `scheduler.refresh` (in place) so that logout can wait for the refreshes in flight of a
 * refresh token before it reads the freshest tokens. The scheduler stays single-flight: this only
 * observes its promises. Refreshes in other processes are covered by the shared recent-result
 * cache that logout reads afterwards.
 *
 * @param scheduler the scheduler, returned with `settled` added
 * @returns the same object, as a {@link TrackedScheduler}
 * @example
 * ```ts
 * const scheduler = trackRefreshes(createRefreshScheduler({ context }))
 * await scheduler.settled(session.tokens.refreshToken!)
 * ```
 */
export function trackRefreshes<S extends RefreshScheduler>(scheduler: S): TrackedScheduler<S> {
  const pending = new Map<string, Set<Promise<unknown>>>()
  const refresh = scheduler.refresh.bind(scheduler)
  scheduler.refresh = (tokens, parameters) => {
    const promise = refresh(tokens, parameters)
    const token = tokens.refreshToken
    if (token !== undefined) {
      let set = pending.get(token)
      if (!set) pending.set(token, (set = new Set()))
      const tracked = set
      tracked.add(promise)
      const clear = () => {
        tracked.delete(promise)
        if (tracked.size === 0 && pending.get(token) === tracked) pending.delete(token)
      }
      promise.then(clear, clear)
    }
    return promise
  }
  return Object.assign(scheduler, {
    async settled(refreshToken: string): Promise<void> {
      const set = pending.get(refreshToken)
      if (set) await Promise.allSettled([...set])
    },
  })
}
