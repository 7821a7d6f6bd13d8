/**
 * A `Map` that holds at most `max` entries, optionally each until a deadline: past `max`, the
 * entry written longest ago is dropped first; an entry past its deadline reads as absent (and is
 * dropped on the way). Every in-process cache of the library is one of these, so none can grow
 * without bound.
 *
 * @module
 */

/** A bounded map with optional per-entry deadlines (milliseconds, on the clock given). */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, { value: V; until: number }>()
  readonly #max: number
  readonly #now: () => number

  /**
   * @param max most entries kept (at least 1)
   * @param now clock in milliseconds, used for deadlines. Default `Date.now`.
   */
  constructor(max: number, now: () => number = Date.now) {
    this.#max = Math.max(1, Math.floor(max))
    this.#now = now
  }

  /** The value for `key`, or `undefined` when absent or past its deadline. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.until <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  /** `true` when {@link get} would find a value. */
  has(key: K): boolean {
    return this.get(key) !== undefined
  }

  /**
   * Write `value` for `key` (it becomes the newest entry), until `ttlMs` from now (forever when
   * omitted), dropping the oldest entries past the bound.
   */
  set(key: K, value: V, ttlMs?: number): this {
    this.#entries.delete(key)
    this.#entries.set(key, { value, until: ttlMs === undefined ? Infinity : this.#now() + ttlMs })
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next()
      if (oldest.done) break
      this.#entries.delete(oldest.value)
    }
    return this
  }

  /** Remove `key`; `true` when it was there. */
  delete(key: K): boolean {
    return this.#entries.delete(key)
  }

  /** Remove every entry. */
  clear(): void {
    this.#entries.clear()
  }

  /** Number of entries held (some may be past their deadline and not yet dropped). */
  get size(): number {
    return this.#entries.size
  }

  /** Live entries, oldest first (expired ones are dropped on the way). */
  *entries(): IterableIterator<[K, V]> {
    const now = this.#now()
    for (const [key, entry] of this.#entries) {
      if (entry.until <= now) this.#entries.delete(key)
      else yield [key, entry.value]
    }
  }
}
