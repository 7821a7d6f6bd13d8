/**
 * Custom session data and hooks through the public API against the real provider: `onCallback`
 * shapes the new session (application data, a dropped id_token) or refuses the login (403),
 * `beforeSave` runs on every write, `updateSession()` changes the data and answers the cookies,
 * and the data survives a burst of requests that refresh with exactly one token call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AccessDeniedError, type Session } from 'oidc-session'
import { Agent } from '../fixtures/agent.js'
import { absorb, startAppBed, type AppBed } from '../fixtures/app-bed.js'
import { startProvider, type TestProvider } from '../fixtures/provider.js'

interface AppData extends Record<string, unknown> {
  roles: string[]
  theme?: string
  saves?: number
}

let provider: TestProvider
let bed: AppBed
const saved: string[] = []

beforeAll(async () => {
  provider = await startProvider({ accessTokenTtl: 300, idTokenTtl: 300 })
  bed = await startAppBed({
    provider,
    session: {
      hooks: {
        onCallback(session: Session, tokens, claims) {
          if (claims.sub === 'mallory') throw new AccessDeniedError('this account is suspended')
          expect(typeof tokens.access_token).toBe('string')
          session.data = { roles: claims.sub === 'root' ? ['admin'] : ['user'] } satisfies AppData
          // Keep the cookie small: the id_token's claims are not needed after login.
          if (claims.sub === 'slim') delete session.tokens.idToken
        },
        beforeSave(session: Session) {
          saved.push(session.id)
          const data = session.data as AppData | undefined
          if (data) session.data = { ...data, saves: (data.saves ?? 0) + 1 }
        },
      },
    },
  })
  bed.clock.frozenAt = Date.now()
})

afterAll(async () => {
  await bed?.close()
  await provider?.close()
})

describe('hooks and application data', () => {
  it('onCallback puts application data into the session; beforeSave runs on the first write', async () => {
    const agent = await bed.login('root')
    const result = await bed.auth.authenticate(bed.request(bed.cookieOf(agent)))
    expect(result.ok && result.session.data).toEqual({ roles: ['admin'], saves: 1 })
  })

  it('onCallback may drop the id_token: the session keeps sub and is smaller', async () => {
    const slim = await bed.login('slim')
    const full = await bed.login('full')
    const slimResult = await bed.auth.authenticate(bed.request(bed.cookieOf(slim)))
    expect(slimResult.ok && slimResult.session.tokens.idToken).toBeUndefined()
    expect(slimResult.ok && slimResult.session.sub).toBe('slim')
    expect(bed.cookieOf(slim).length).toBeLessThan(bed.cookieOf(full).length)
  })

  it('onCallback refusing the login with AccessDeniedError answers 403, and no session is made', async () => {
    const agent = new Agent()
    const { response, url } = await agent.login(`${bed.url}/login?returnTo=/api/me`, {
      username: 'mallory',
    })
    expect(new URL(url).pathname).toBe('/callback')
    expect(response.status).toBe(403)
    expect(await response.text()).toContain('this account is suspended')
    expect(bed.cookieOf(agent)).not.toMatch(/oidc_session=/)
  })

  it('updateSession merges a patch, runs beforeSave and answers the new cookie', async () => {
    const agent = await bed.login('patcher')
    const { session, headers } = await bed.auth.updateSession(bed.request(bed.cookieOf(agent)), {
      theme: 'dark',
    })
    expect(session.data).toEqual({ roles: ['user'], theme: 'dark', saves: 2 })
    const cookie = absorb(agent, bed.url, headers)
    const reread = await bed.auth.authenticate(bed.request(cookie))
    expect(reread.ok && reread.session.data).toEqual({ roles: ['user'], theme: 'dark', saves: 2 })
    // A function patch sees the current data.
    const next = await bed.auth.updateSession(bed.request(cookie), (data) => ({
      ...data,
      roles: [...((data.roles as string[] | undefined) ?? []), 'editor'],
    }))
    expect(next.session.data?.roles).toEqual(['user', 'editor'])
    await expect(bed.auth.updateSession(bed.request(''), { theme: 'x' })).rejects.toMatchObject({
      code: 'ERR_SESSION_REQUIRED',
    })
  })

  it('the data survives a burst of requests that refresh with exactly one token call', async () => {
    const agent = await bed.login('burst')
    const cookie = bed.cookieOf(agent)
    provider.counters.reset()
    bed.clock.seconds = 400 // past the access token's expiry: every request of the burst refreshes
    const results = await Promise.all(
      Array.from({ length: 20 }, () => bed.auth.authenticate(bed.request(cookie))),
    )
    expect(provider.counters.token.refresh_token).toBe(1)
    for (const result of results) {
      expect(result.reason).toBe('refreshed')
      expect(result.ok && result.session.data?.roles).toEqual(['user'])
    }
    // And the next request, on the refreshed cookie, still has it.
    const after = absorb(agent, bed.url, results[0]?.headers ?? new Headers())
    const later = await bed.auth.authenticate(bed.request(after))
    expect(later).toMatchObject({ ok: true, reason: 'valid' })
    expect(later.ok && later.session.data?.roles).toEqual(['user'])
  })
})
