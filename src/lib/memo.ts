/**
 * A bounded memo for pure async functions of a string (hashes, key imports): at most `max`
 * entries, the oldest dropped first; a rejected promise is dropped so the next call retries.
 */
export function memoize<T>(
  max: number,
  compute: (input: string) => Promise<T>,
): (input: string) => Promise<T> {
  const entries = new Map<string, Promise<T>>()
  return (input) => {
    let entry = entries.get(input)
    if (entry) return entry
    entry = compute(input)
    entries.set(input, entry)
    if (entries.size > max) entries.delete(entries.keys().next().value as string)
    entry.catch(() => {
      if (entries.get(input) === entry) entries.delete(input)
    })
    return entry
  }
}
