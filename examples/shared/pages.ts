/**
 * What every example answers, framework aside: the home page, `/api/me` and `/api/userinfo`.
 */
import type { OidcSession, RequestLike, Session } from 'oidc-session'

/** `Cache-Control: no-store`, for answers that carry a user's data. */
export const NO_STORE = { 'cache-control': 'no-store' } as const

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The HTML page of `GET /` for a signed-in user. */
export function homePage(session: Session): string {
  const expires = session.tokens.expiresAt
    ? new Date(session.tokens.expiresAt * 1000).toISOString()
    : 'an unknown time'
  return `<!doctype html><meta charset="utf-8"><title>oidc-session example</title>
<h1>Signed in as ${escape(session.sub)}</h1>
<p>Access token expires at ${expires}.</p>
<p><a href="/api/me">/api/me</a> · <a href="/api/userinfo">/api/userinfo</a></p>
<form method="post" action="/logout"><button>Log out</button></form>`
}

/** The JSON of `GET /api/me`: `{ sub, sid, expiresAt }`. */
export function me(session: Session): {
  sub: string
  sid: string | null
  expiresAt: number | null
} {
  return { sub: session.sub, sid: session.sid ?? null, expiresAt: session.tokens.expiresAt ?? null }
}

/**
 * `GET /api/userinfo`: the provider's userinfo for the session's (fresh) access token, as JSON —
 * or, without a usable session, the library's answer (401 JSON / 302 to login, 503).
 */
export async function userinfo(auth: OidcSession, request: RequestLike): Promise<Response> {
  try {
    const { claims, headers } = await auth.userinfo(request)
    headers.set('cache-control', 'no-store')
    return Response.json(claims, { headers })
  } catch (error) {
    return auth.errorResponse(request, error)
  }
}
