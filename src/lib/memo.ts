/**
 * A bounded memo for pure async computations keyed by a string (hashes, key imports, seals of
 * identical bytes): at most `max` entries, the oldest dropped first; a rejected promise is dropped
 * so the next call computes again.
 *
 * @returns `(key, compute)`: the memoized result for `key`, computing it with `compute` on a miss
 */
export function createMemo<T>(max: number): (key: string, compute: () => Promise<T>) => Promise<T> {
  const entries = new Map<string, Promise<T>>()
  return (key, compute) => {
    let entry = entries.get(key)
    if (entry) return entry
    entry = compute()
    entries.set(key, entry)
    if (entries.size > max) entries.delete(entries.keys().next().value as string)
    entry.catch(() => {
      if (entries.get(key) === entry) entries.delete(key)
    })
    return entry
  }
}
