/**
 * What the library needs to know about the runtime it runs on.
 *
 * @module
 */

/** `true` on Cloudflare Workers (its runtime names itself in `navigator.userAgent`). */
export function onWorkers(): boolean {
  return (
    (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent ===
    'Cloudflare-Workers'
  )
}

/**
 * `true` on a runtime that serves requests from many short-lived isolates with no shared memory:
 * the Next.js / Vercel Edge runtime (the `EdgeRuntime` global) and Cloudflare Workers. An
 * in-process cache or list there is seen by one isolate only.
 */
export function onIsolates(): boolean {
  return typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === 'string' || onWorkers()
}
