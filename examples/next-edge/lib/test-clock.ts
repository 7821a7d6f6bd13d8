/**
 * A test-only clock offset, OFF unless `EXAMPLE_TEST_CLOCK=1`: end-to-end tests move the app's
 * clock past the access token's expiry instead of sleeping. `POST /test-clock` with
 * `{ "seconds": 400 }` sets the offset (the middleware sets the Edge isolate's, the route
 * Node.js's). Never enable it in a real deployment.
 */
const OFFSET = Symbol.for('oidc-session.examples.test-clock')

type ClockGlobal = typeof globalThis & { [OFFSET]?: number }

/** `true` when the test clock is enabled. */
export const testClockEnabled = (): boolean => process.env.EXAMPLE_TEST_CLOCK === '1'

/** The clock the session manager uses: `Date.now()`, plus the test offset when enabled. */
export function now(): number {
  return Date.now() + ((globalThis as ClockGlobal)[OFFSET] ?? 0)
}

/** Handle `POST /test-clock`: set the offset, answer `{ seconds }` (404 when disabled). */
export async function setTestClock(request: Request): Promise<Response> {
  if (!testClockEnabled() || request.method !== 'POST')
    return Response.json({ error: 'not_found' }, { status: 404 })
  const { seconds } = (await request.clone().json()) as { seconds?: unknown }
  if (typeof seconds !== 'number' || !Number.isFinite(seconds))
    return Response.json({ error: 'seconds must be a number' }, { status: 400 })
  ;(globalThis as ClockGlobal)[OFFSET] = seconds * 1000
  return Response.json({ seconds }, { headers: { 'cache-control': 'no-store' } })
}
