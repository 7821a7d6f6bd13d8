import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config.js'
import { UnsecuredJWT } from 'jose'
import {
  CookieTooLargeError,
  ProviderResponseError,
  StoreUnavailableError,
} from '../../src/errors.js'
import { createOidcSession } from '../../src/session/manager.js'
import type { SessionStore } from '../../src/stores/types.js'
import { mergeTokens } from '../../src/tokens/merge.js'
import { CookieJar } from '../../src/request/cookie-jar.js'
import { isAjax } from '../../src/request/is-ajax.js'
import { createSealer } from '../../src/session/codec.js'
import { cookieStore } from '../../src/stores/cookie/index.js'
import { Browser, context, makeSession, noise } from './support/browser.js'

const NOW = 1_700_000_000
const S = 'n'.repeat(32)

/** Regression tests, one per bug found in review; each name says what it pins. */
describe('regressions', () => {
  it('B1 a refused oversize save queues no Set-Cookie line', async () => {
    const jar = new CookieJar('sess=old-value')
    const session = makeSession(NOW, { tokens: { idToken: noise(12_000) } })
    await expect(
      cookieStore({ secrets: S }).save(context(jar, NOW), session),
    ).rejects.toBeInstanceOf(CookieTooLargeError)
    expect(jar.setCookieLines()).toEqual([])
  })
  it('B2 a maxCookieBytes too small to hold anything is refused at construction', async () => {
    expect(() => cookieStore({ secrets: S, maxCookieBytes: 50 })).toThrow(TypeError)
    expect(() => cookieStore({ secrets: S, onOversize: 'ignore' as 'warn' })).toThrow(TypeError)
  })
  it('B3 a non-canonical spelling of a sealed value is refused', async () => {
    const sealer = createSealer([S], 'session')
    const sealed = await sealer.seal({ a: 1 }, NOW + 60)
    const tag = sealed.split('.')[4] ?? ''
    const last = tag.at(-1) ?? ''
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const twin = sealed.slice(0, -1) + (alphabet[alphabet.indexOf(last) ^ 1] ?? '')
    await expect(sealer.unseal(twin, NOW)).rejects.toThrow()
  })
  it('B4 a chunk set missing its first chunk is incomplete, not none', async () => {
    const store = cookieStore({ secrets: S, maxTotalBytes: 1e6 })
    const browser = new Browser()
    const jar = browser.jar()
    await store.save(context(jar, NOW), makeSession(NOW, { tokens: { idToken: noise(12_000) } }))
    browser.receive(jar.setCookieLines())
    browser.cookies.delete('sess.0')
    expect(await store.load(context(browser.jar(), NOW))).toEqual({
      session: null,
      reason: 'incomplete',
    })
  })
  it('B5 authorizationParams.scope cannot bypass the openid check', () => {
    expect(() =>
      resolveConfig({
        issuer: 'https://i.example',
        client: { id: 'a' },
        redirectUri: 'https://a.example/cb',
        secrets: S,
        authorizationParams: { scope: 'profile' },
      }),
    ).toThrow(TypeError)
  })
  it('B6 a global RegExp in ajaxPaths answers the same every time', () => {
    const options = { ajaxPaths: [/^\/api\//g] }
    expect([1, 2, 3].map(() => isAjax({ url: '/api/me', headers: {} }, options))).toEqual([
      true,
      true,
      true,
    ])
  })

  it('B7 a refreshed id_token that changes or adds azp is refused (OIDC Core §12.2)', () => {
    const claims = { iss: 'https://i', sub: 's', aud: ['app', 'api'], azp: 'app' }
    const current = {
      accessToken: 'a',
      tokenType: 'Bearer',
      idToken: new UnsecuredJWT(claims).encode(),
    }
    const changed = {
      accessToken: 'b',
      tokenType: 'Bearer',
      idToken: new UnsecuredJWT({ ...claims, azp: 'api' }).encode(),
    }
    expect(() => mergeTokens(current, changed)).toThrow(ProviderResponseError)
    const { azp: _azp, ...withoutAzp } = claims
    const original = {
      accessToken: 'a',
      tokenType: 'Bearer',
      idToken: new UnsecuredJWT(withoutAzp).encode(),
    }
    const added = {
      accessToken: 'b',
      tokenType: 'Bearer',
      idToken: new UnsecuredJWT(claims).encode(),
    }
    expect(() => mergeTokens(original, added)).toThrow(ProviderResponseError)
    const same = {
      accessToken: 'b',
      tokenType: 'Bearer',
      idToken: new UnsecuredJWT(claims).encode(),
    }
    expect(mergeTokens(current, same).accessToken).toBe('b')
  })

  it('B8 a failing re-seal of a session sealed under a previous key does not break authenticate()', async () => {
    const OLD = 'o'.repeat(32)
    const now = Math.floor(Date.now() / 1000)
    const jar = new CookieJar(undefined)
    const session = makeSession(now, { tokens: { expiresAt: now + 3600 } })
    await cookieStore({ secrets: OLD }).save(context(jar, now, 'oidc_session'), session)
    const cookie = jar.setCookieLines()[0]!.split(';')[0]!
    const rotated = cookieStore({ secrets: [S, OLD] })
    let saves = 0
    const failingSave: SessionStore = {
      ...rotated,
      save: async () => {
        saves++
        throw new StoreUnavailableError('store down')
      },
    }
    const auth = createOidcSession({
      issuer: 'http://127.0.0.1:9/unused',
      client: { id: 'app', secret: 'app-secret' },
      redirectUri: 'http://127.0.0.1:9/callback',
      secrets: [S],
      store: failingSave,
    })
    const result = await auth.authenticate({ url: '/', headers: { cookie } })
    expect(saves).toBe(1) // the re-seal was attempted
    expect(result.reason).toBe('valid')
    expect(result.session?.sub).toBe(session.sub)
  })
})
