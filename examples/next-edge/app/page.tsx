/**
 * The protected page: a Server Component (Node.js runtime) reading the session the Edge
 * middleware checked (and, after a refresh, forwarded). It never refreshes itself: it could not
 * write the new cookies.
 */
import { getSession } from 'oidc-session/next'
import { getAuth } from '../lib/auth'

export const dynamic = 'force-dynamic'

export default async function Home() {
  const result = await getSession(getAuth)
  if (!result.ok) {
    return (
      <main>
        <h1>Not signed in</h1>
        <p id="reason">No usable session ({result.reason}).</p>
        <a href="/login?returnTo=%2F">Sign in</a>
      </main>
    )
  }
  const { session } = result
  const expiresAt = session.tokens.expiresAt
  return (
    <main>
      <h1>
        Signed in as <span id="sub">{session.sub}</span>
      </h1>
      <p>
        Access token expires at{' '}
        <time id="expires-at" dateTime={expiresAt ? String(expiresAt) : ''}>
          {expiresAt ? new Date(expiresAt * 1000).toISOString() : 'an unknown time'}
        </time>
        .
      </p>
      <p>
        <a href="/api/me">/api/me</a> · <a href="/api/userinfo">/api/userinfo</a>
      </p>
      <form method="post" action="/logout">
        <button type="submit">Log out</button>
      </form>
    </main>
  )
}
