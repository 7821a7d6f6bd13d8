/**
 * Next.js 16 proxy (Node runtime): serves /login, /callback, /logout and /backchannel-logout,
 * protects every other matched path (401 JSON for API calls, 302 to /login for navigations), and
 * forwards refreshed cookies to the browser and to this request's Server Components and routes.
 */
import { NextResponse, type NextFetchEvent, type NextRequest } from 'next/server'
import { oidcProxy } from 'oidc-session/next'
import { getAuth } from './lib/auth'
import { setTestClock } from './lib/test-clock'

const auth = oidcProxy(getAuth)

export async function proxy(request: NextRequest, event: NextFetchEvent): Promise<Response> {
  if (request.nextUrl.pathname === '/test-clock') {
    await setTestClock(request) // test-only (EXAMPLE_TEST_CLOCK=1); the route answers
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
