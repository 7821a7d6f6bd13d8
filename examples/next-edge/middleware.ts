/**
 * Edge middleware (Next.js 15 and 16; Next.js 16 names the Node-runtime variant `proxy.ts`):
 * serves /login, /callback, /logout, protects every other matched path (401 JSON for API calls,
 * 302 to /login for navigations), forwards refreshed cookies to the browser and to this request's
 * Server Components and routes, and answers back-channel logouts with a 400: an in-memory
 * revocation list cannot reach the other Edge isolates.
 */
import { NextResponse, type NextFetchEvent, type NextRequest } from 'next/server'
import { oidcProxy } from 'oidc-session/next'
import { getAuth } from './lib/auth'
import { setTestClock } from './lib/test-clock'

const auth = oidcProxy(getAuth)

export async function middleware(request: NextRequest, event: NextFetchEvent): Promise<Response> {
  if (request.nextUrl.pathname === '/test-clock') {
    await setTestClock(request) // test-only (EXAMPLE_TEST_CLOCK=1): this isolate; the route sets Node's
    return NextResponse.next()
  }
  return auth(request, event)
}

export const config = {
  matcher: [
    '/',
    '/api/:path*',
    '/login',
    '/callback',
    '/logout',
    '/backchannel-logout',
    '/test-clock',
  ],
}
