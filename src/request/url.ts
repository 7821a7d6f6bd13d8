/**
 * URL helpers: loopback detection and safe redirect targets.
 *
 * @module
 */

/** `true` for `localhost`, `127.0.0.0/8` and `[::1]`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    host === '::1' ||
    /^127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(host)
  )
}

/**
 * Turn a user-supplied `returnTo` into a safe same-origin path (with query and hash), or the
 * fallback. Absolute URLs are accepted only when their origin is the app's; protocol-relative
 * (`//evil`), backslash tricks (`/\evil`), control characters and other schemes are refused.
 *
 * @param value the untrusted value (query parameter, option)
 * @param appOrigin the application's origin (`https://app.example.com`)
 * @param fallback returned when `value` is missing or unsafe. Default `/`.
 * @returns a path starting with a single `/`
 * @example
 * ```ts
 * safeReturnTo('//evil.example/x', 'https://app.example') // → '/'
 * safeReturnTo('/orders?id=1', 'https://app.example')     // → '/orders?id=1'
 * ```
 */
export function safeReturnTo(value: unknown, appOrigin: string, fallback = '/'): string {
  if (typeof value !== 'string' || value === '' || value.length > 2048) return fallback
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback
  let url: URL
  try {
    url = new URL(value, appOrigin)
  } catch {
    return fallback
  }
  if (url.origin !== appOrigin) return fallback
  if (!value.startsWith('/') && !value.startsWith(appOrigin)) return fallback
  const path = url.pathname + url.search + url.hash
  return path.startsWith('//') ? fallback : path
}
