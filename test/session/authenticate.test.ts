/**
 * Every branch of the authenticate step (load → revocation list → lifecycle → refresh → save),
 * with a scripted store and scheduler: no provider, no network. The integration tests prove the
 * same paths end to end; these pin each decision on its own.
 */
import { describe, expect, it } from 'vitest'
import {
  CookieTooLargeError,
  ProviderResponseError,
  ProviderUnavailableError,
  RefreshRefusedError,
  RefreshRejectedError,
  StoreUnavailableError,
  memoryRevocationList,
  type LoadResult,
  type RevocationList,
  type SessionStore,
} from 'oidc-session'
import { createAuthenticator } from '../../src/session/authenticate.js'
import type { RefreshOutcome, RefreshScheduler } from '../../src/refresh/scheduler.js'
import { CookieJar } from '../../src/request/cookie-jar.js'
import type { Session } from '../../src/session/session.js'
import type { StoreContext } from '../../src/stores/types.js'
import type { TokenSet } from '../../src/tokens/token-set.js'

const NOW = 1_700_000_000

function session(tokens: Partial<TokenSet> = {}): Session {
  return {
    id: 'session-1',
    version: 1,
    createdAt: NOW - 100,
    expiresAt: NOW + 3600,
    sub: 'alice',
    sid: 'sid-1',
    tokens: {
      accessToken: 'at',
      tokenType: 'Bearer',
      issuedAt: NOW - 100,
      expiresAt: NOW + 3000,
      refreshToken: 'rt',
      ...tokens,
    },
  }
}

interface Script {
  load?: () => Promise<LoadResult>
  save?: (session: Session) => Promise<boolean>
  refresh?: () => Promise<RefreshOutcome>
  revocationList?: RevocationList
  stateful?: boolean
  background?: boolean
}

function harness(script: Script) {
  const calls = { saves: 0, destroys: 0, refreshes: 0, loads: 0 }
  const events: { name: string; payload: unknown }[] = []
  const store: SessionStore = {
    stateful: script.stateful ?? false,
    load: async () => {
      calls.loads++
      return script.load ? script.load() : { session: null, reason: 'none' }
    },
    save: async (_ctx, s) => {
      calls.saves++
      return script.save ? script.save(s) : true
    },
    destroy: async (ctx) => {
      calls.destroys++
      ctx.jar.expire('oidc_session', { path: '/' })
    },
  }
  const scheduler: RefreshScheduler = {
    refresh: async () => {
      calls.refreshes++
      if (!script.refresh) throw new Error('no refresh scripted')
      return script.refresh()
    },
    settled: async () => undefined,
    recent: async () => undefined,
    forget: async () => undefined,
  }
  const warnings: string[] = []
  const { authenticate } = createAuthenticator({
    store,
    scheduler,
    revocationList: script.revocationList ?? memoryRevocationList(),
    lifecycle: { leewaySeconds: 60, clockToleranceSeconds: 30 },
    background: script.background ?? false,
    events: {
      refresh: (p) => events.push({ name: 'refresh', payload: p }),
      refreshError: (p) => events.push({ name: 'refreshError', payload: p }),
      sessionEnded: (p) => events.push({ name: 'sessionEnded', payload: p }),
      sessionTooLarge: (p) => events.push({ name: 'sessionTooLarge', payload: p }),
    },
    logger: { warn: (m) => warnings.push(m) },
  })
  const ctx = (): StoreContext => ({
    jar: new CookieJar('oidc_session=x'),
    cookie: { name: 'oidc_session', attributes: { path: '/' } },
    now: NOW,
  })
  return { authenticate: (options = {}) => authenticate(ctx(), options), calls, events, warnings }
}

const refreshed = (tokens: Partial<TokenSet> = {}): Promise<RefreshOutcome> =>
  Promise.resolve({
    source: 'provider',
    tokens: {
      accessToken: 'at2',
      tokenType: 'Bearer',
      issuedAt: NOW,
      expiresAt: NOW + 3600,
      refreshToken: 'rt2',
      ...tokens,
    },
  })

describe('authenticate: load', () => {
  it('a store that fails → store-unavailable, nothing deleted', async () => {
    const h = harness({ load: () => Promise.reject(new StoreUnavailableError('down')) })
    const result = await h.authenticate()
    expect(result).toMatchObject({ ok: false, reason: 'store-unavailable' })
    expect(result.error).toBeInstanceOf(StoreUnavailableError)
    expect(result.headers.getSetCookie()).toEqual([])
  })

  it('a load failure passes its reason through', async () => {
    for (const reason of ['none', 'tampered', 'incomplete', 'revoked'] as const) {
      const h = harness({ load: async () => ({ session: null, reason }) })
      expect(await h.authenticate()).toMatchObject({ ok: false, reason })
    }
  })

  it('a sealed cookie past its lifetime (a stateless store answers expired) is absolute-timeout', async () => {
    const h = harness({ load: async () => ({ session: null, reason: 'expired' }) })
    expect(await h.authenticate()).toMatchObject({ ok: false, reason: 'absolute-timeout' })
  })
})

describe('authenticate: revocation list', () => {
  it('a session on the list → revoked, its cookie expired', async () => {
    const list = memoryRevocationList()
    await list.add({ kind: 'session', value: 'session-1', notBefore: NOW }, 60)
    const h = harness({ load: async () => ({ session: session() }), revocationList: list })
    const result = await h.authenticate()
    expect(result).toMatchObject({ ok: false, reason: 'revoked' })
    expect(h.calls.destroys).toBe(1)
    expect(result.headers.getSetCookie()[0]).toMatch(/Max-Age=0/)
  })

  it('a list that fails → store-unavailable, the session kept', async () => {
    const list: RevocationList = {
      add: async () => undefined,
      notBefore: () => Promise.reject(new Error('redis down')),
    }
    const h = harness({ load: async () => ({ session: session() }), revocationList: list })
    const result = await h.authenticate()
    expect(result).toMatchObject({ ok: false, reason: 'store-unavailable' })
    expect(result.error).toBeInstanceOf(StoreUnavailableError)
    expect(h.calls.destroys).toBe(0)
  })
})

describe('authenticate: lifecycle', () => {
  it('fresh → valid, no refresh, no write', async () => {
    const h = harness({ load: async () => ({ session: session() }) })
    expect(await h.authenticate()).toMatchObject({ ok: true, reason: 'valid' })
    expect(h.calls).toMatchObject({ refreshes: 0, saves: 0 })
  })

  it('fresh but sealed under a previous key → re-sealed; a failing re-seal keeps the session (B8)', async () => {
    const h = harness({
      load: async () => ({ session: session(), stale: true }),
      save: () => Promise.reject(new StoreUnavailableError('down')),
    })
    expect(await h.authenticate()).toMatchObject({ ok: true, reason: 'valid' })
    expect(h.calls.saves).toBe(1)
  })

  it('expired without a refresh token → unrefreshable, the session ended', async () => {
    const s = session({ expiresAt: NOW - 1 })
    delete s.tokens.refreshToken
    const h2 = harness({ load: async () => ({ session: s }) })
    expect(await h2.authenticate()).toMatchObject({ ok: false, reason: 'unrefreshable' })
    expect(h2.calls.destroys).toBe(1)
    expect(h2.events.map((e) => e.name)).toEqual(['sessionEnded'])
  })

  it('refresh: false never refreshes nor writes: due → valid, expired → refresh-required', async () => {
    const due = harness({ load: async () => ({ session: session({ expiresAt: NOW + 70 }) }) })
    expect(await due.authenticate({ refresh: false })).toMatchObject({ ok: true, reason: 'valid' })
    const expired = harness({
      load: async () => ({ session: session({ expiresAt: NOW - 1 }), stale: true }),
    })
    const result = await expired.authenticate({ refresh: false })
    expect(result).toMatchObject({ ok: false, reason: 'refresh-required' })
    expect(expired.calls).toMatchObject({ refreshes: 0, saves: 0 })
  })
})

describe('authenticate: refresh', () => {
  const expired = () => session({ expiresAt: NOW - 1 })

  it('expired → refreshed and saved', async () => {
    const h = harness({ load: async () => ({ session: expired() }), refresh: () => refreshed() })
    const result = await h.authenticate()
    expect(result).toMatchObject({ ok: true, reason: 'refreshed' })
    expect(result.session?.tokens.accessToken).toBe('at2')
    expect(h.calls.saves).toBe(1)
  })

  it('due with a stateful store and background on → refresh-deferred at once', async () => {
    const h = harness({
      load: async () => ({ session: session({ expiresAt: NOW + 70 }) }),
      refresh: () => refreshed(),
      stateful: true,
      background: true,
    })
    expect(await h.authenticate()).toMatchObject({ ok: true, reason: 'refresh-deferred' })
  })

  it('due and a transient failure → refresh-deferred with the warning', async () => {
    const h = harness({
      load: async () => ({ session: session({ expiresAt: NOW + 70 }) }),
      refresh: () => Promise.reject(new ProviderUnavailableError('down')),
    })
    const result = await h.authenticate()
    expect(result).toMatchObject({ ok: true, reason: 'refresh-deferred' })
    expect(result.warning).toBeInstanceOf(ProviderUnavailableError)
  })

  it('expired and each kind of failure → its own reason', async () => {
    const cases = [
      [new ProviderUnavailableError('down'), 'provider-unavailable'],
      [new StoreUnavailableError('lock down'), 'store-unavailable'],
      [new RefreshRefusedError('invalid_client'), 'refresh-failed'],
      [new ProviderResponseError('changed sub'), 'refresh-failed'],
      [new RefreshRejectedError('invalid_grant'), 'refresh-rejected'],
      [new Error('a runtime error'), 'provider-unavailable'],
    ] as const
    for (const [error, reason] of cases) {
      const h = harness({
        load: async () => ({ session: expired() }),
        refresh: () => Promise.reject(error),
      })
      const result = await h.authenticate()
      expect(result, reason).toMatchObject({ ok: false, reason })
      expect(h.calls.destroys, reason).toBe(reason === 'refresh-rejected' ? 1 : 0)
    }
  })

  it('a session ended while its refresh was in flight is not written back', async () => {
    const list = memoryRevocationList()
    const h = harness({
      load: async () => ({ session: expired() }),
      refresh: async () => {
        await list.add({ kind: 'session', value: 'session-1', notBefore: NOW }, 60)
        return refreshed()
      },
      revocationList: list,
    })
    expect(await h.authenticate()).toMatchObject({ ok: false, reason: 'revoked' })
    expect(h.calls.saves).toBe(0)
  })

  it('a lost compare-and-set takes the stored session that another request refreshed', async () => {
    let loads = 0
    const other = session({ accessToken: 'theirs', refreshToken: 'rt-theirs' })
    const h = harness({
      load: async () => (loads++ === 0 ? { session: expired() } : { session: other }),
      save: async () => false,
      refresh: () => refreshed(),
      stateful: true,
    })
    const result = await h.authenticate()
    expect(result).toMatchObject({ ok: true, reason: 'refreshed' })
    expect(result.session?.tokens.accessToken).toBe('theirs')
  })

  it('a save that fails → store-unavailable; one too large → served with the warning, reported once', async () => {
    const down = harness({
      load: async () => ({ session: expired() }),
      refresh: () => refreshed(),
      save: () => Promise.reject(new StoreUnavailableError('down')),
    })
    expect(await down.authenticate()).toMatchObject({ ok: false, reason: 'store-unavailable' })

    const large = harness({
      load: async () => ({ session: expired() }),
      refresh: () => refreshed(),
      save: () => Promise.reject(new CookieTooLargeError('too large: use redisStore')),
    })
    for (let i = 0; i < 3; i++) {
      const result = await large.authenticate()
      expect(result).toMatchObject({ ok: true, reason: 'refreshed' })
      expect(result.warning).toBeInstanceOf(CookieTooLargeError)
    }
    expect(large.events.filter((e) => e.name === 'sessionTooLarge')).toHaveLength(1)
    expect(large.warnings).toHaveLength(1)
  })
})
