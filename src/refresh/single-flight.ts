/**
 * One pending promise per key: concurrent callers of the same key share it. A key is cleared when
 * its promise settles (only if still current), so failures are never cached and the map holds only
 * work in progress.
 *
 * @module
 */

/** Coalesces concurrent calls by key. */
export class SingleFlight<T> {
  readonly #pending = new Map<string, Promise<T>>()

  /** Run `work` for `key`, or join the run already in flight for it. */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.#pending.get(key)
    if (existing) return existing
    const promise = Promise.resolve().then(work)
    this.#pending.set(key, promise)
    const clear = () => {
      if (this.#pending.get(key) === promise) this.#pending.delete(key)
    }
    promise.then(clear, clear)
    return promise
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
