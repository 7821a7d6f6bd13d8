/** `GET /api/me`: `{ sub, sid, expiresAt }` of the session (the middleware answered 401 without one). */
import { getSession } from 'oidc-session/next'
import { getAuth } from '../../../lib/auth'

export const dynamic = 'force-dynamic'

export async function GET(): Promise<Response> {
  const result = await getSession(getAuth)
  const noStore = { 'cache-control': 'no-store' }
  if (!result.ok) {
    return Response.json(
      { error: 'unauthorized', error_description: `no valid session (${result.reason})` },
      { status: 401, headers: noStore },
    )
  }
  const { session } = result
  return Response.json(
    { sub: session.sub, sid: session.sid ?? null, expiresAt: session.tokens.expiresAt ?? null },
    { headers: noStore },
  )
}
