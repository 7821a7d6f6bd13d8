/**
 * One pending promise per key: concurrent callers of the same key share it. A key is cleared when
 * its promise settles (only if still current), so failures are never cached and the map holds only
 * work in progress.
 *
 * On Cloudflare Workers a promise created by a request that has ended can never settle, and every
 * other request awaiting it is rejected at once ("This promise was created by a request that has
 * since ended"). Such a flight is recognised — its joiner is rejected while the flight never
 * settled — and replaced by a new run, so one cancelled request cannot break a key for good.
 *
 * @module
 */

/** Coalesces concurrent calls by key. */
export class SingleFlight<T> {
  readonly #pending = new Map<string, Promise<T>>()
  /** Flights that settled (their own clearing ran): a rejection seen by a joiner is then real. */
  readonly #settled = new WeakSet<Promise<T>>()

  /**
   * Run `work` for `key`, or join the run already in flight for it.
   *
   * @param key the coalescing key
   * @param work the work, started only when no run is in flight
   * @returns the shared result
   */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.#pending.get(key)
    if (existing) return this.#join(key, existing, work)
    const promise = Promise.resolve().then(work)
    this.#pending.set(key, promise)
    const clear = () => {
      this.#settled.add(promise)
      if (this.#pending.get(key) === promise) this.#pending.delete(key)
    }
    promise.then(clear, clear)
    return promise
  }

  #join(key: string, flight: Promise<T>, work: () => Promise<T>): Promise<T> {
    return flight.catch((error: unknown) => {
      // A real settlement runs the flight's own clearing first (it was registered first). A
      // joiner rejected before that is looking at a flight that can never settle: replace it.
      if (this.#settled.has(flight)) throw error
      if (this.#pending.get(key) === flight) this.#pending.delete(key)
      return this.run(key, work)
    })
  }

  /** The run in flight for `key`, if any. */
  get(key: string): Promise<T> | undefined {
    return this.#pending.get(key)
  }

  /** Number of runs in flight. */
  get size(): number {
    return this.#pending.size
  }
}
