/** `GET /api/userinfo`: the provider's UserInfo for the session's (fresh) access token. */
import { getAuth } from '../../../lib/auth'

export const dynamic = 'force-dynamic'

export async function GET(request: Request): Promise<Response> {
  const auth = getAuth()
  try {
    const { claims, headers } = await auth.userinfo(request)
    headers.set('cache-control', 'no-store')
    return Response.json(claims, { headers })
  } catch (error) {
    return auth.errorResponse(request, error)
  }
}
