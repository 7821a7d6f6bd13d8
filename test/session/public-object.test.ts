/**
 * The public object exposes no secret: walk the whole object graph of `createOidcSession(...)` and
 * of every result it returns (reachable properties, prototypes, Maps, Headers), and look for the
 * configured client secret, session secrets, private key and the session's tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOidcSession, memoryStore } from 'oidc-session'
import { startAppBed, type AppBed } from '../fixtures/app-bed.js'

/** Every string reachable from `root` (own properties, symbols, prototypes, collections). */
function reachableStrings(root: unknown): string[] {
  const seen = new Set<unknown>()
  const found: string[] = []
  const visit = (value: unknown, depth: number): void => {
    if (depth > 40) return
    if (typeof value === 'string') {
      found.push(value)
      return
    }
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return
    if (seen.has(value)) return
    seen.add(value)
    if (value instanceof Headers) {
      value.forEach((v, k) => found.push(k, v))
      for (const line of value.getSetCookie()) found.push(line)
    }
    if (value instanceof Map)
      for (const [k, v] of value) {
        visit(k, depth + 1)
        visit(v, depth + 1)
      }
    if (value instanceof Set) for (const v of value) visit(v, depth + 1)
    if (typeof value === 'function') found.push(value.toString())
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key === 'string') found.push(key)
      const descriptor = Reflect.getOwnPropertyDescriptor(value, key)
      if (descriptor && 'value' in descriptor) visit(descriptor.value, depth + 1)
    }
    const proto = Reflect.getPrototypeOf(value)
    if (proto && proto !== Object.prototype && proto !== Function.prototype) visit(proto, depth + 1)
  }
  visit(root, 0)
  return found
}

function expectNoSecret(root: unknown, secrets: readonly string[]): void {
  const strings = reachableStrings(root)
  for (const secret of secrets)
    expect(
      strings.find((s) => s.includes(secret)),
      `a secret is reachable`,
    ).toBeUndefined()
}

const CLIENT_SECRET = 'client-secret-must-not-leak-0123456789abcdef'
const SESSION_SECRETS = [
  'session-secret-current-must-not-leak-0123456',
  'session-secret-previous-must-not-leak-012345',
]

describe('createOidcSession() exposes no secret (public-object-secret-walk)', () => {
  it('the manager object holds routes, issuer, clientId and functions only', async () => {
    const { privateKey } = await crypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign', 'verify'],
    )
    for (const store of [undefined, memoryStore()]) {
      const auth = createOidcSession({
        issuer: 'https://idp.example',
        client: { id: 'app', secret: CLIENT_SECRET },
        redirectUri: 'https://app.example/callback',
        secrets: SESSION_SECRETS,
        ...(store ? { store } : {}),
      })
      expectNoSecret(auth, [CLIENT_SECRET, ...SESSION_SECRETS])
      expect(Object.isFrozen(auth)).toBe(true)
      expect(Object.keys(auth).sort()).toEqual(
        [
          'accessToken',
          'admin',
          'authenticate',
          'backchannelLogout',
          'callback',
          'clientId',
          'endAllSessions',
          'endSession',
          'errorResponse',
          'forward',
          'handler',
          'issuer',
          'login',
          'logout',
          'protect',
          'routes',
          'sessions',
          'store',
          'updateSession',
          'userinfo',
        ].sort(),
      )
      const withKey = createOidcSession({
        issuer: 'https://idp.example',
        client: { id: 'app', privateKey: { key: privateKey, kid: 'k1' } },
        redirectUri: 'https://app.example/callback',
        secrets: SESSION_SECRETS,
      })
      const strings = reachableStrings(withKey)
      expect(strings).not.toContain('k1')
      expect(reachableStrings(withKey).length).toBeGreaterThan(5)
    }
  })
})

describe('results expose no secret beyond the session a caller asked for', () => {
  let bed: AppBed
  beforeAll(async () => {
    bed = await startAppBed()
  })
  afterAll(async () => {
    await bed?.close()
  })

  it('failure results, error answers and handler answers carry no secret or token', async () => {
    const agent = await bed.login('walker')
    const cookie = bed.cookieOf(agent)
    const { session } = await bed.auth.authenticate(bed.request(cookie))
    const tokens = [
      session!.tokens.accessToken,
      session!.tokens.refreshToken!,
      session!.tokens.idToken!,
    ]
    const secrets = [bed.clientSecret, 'app-bed-secret-app-bed-secret-app-bed-0123']
    // The success result holds the session (the caller's own tokens) but no configuration secret.
    expectNoSecret(await bed.auth.authenticate(bed.request(cookie)), secrets)
    expectNoSecret(await bed.auth.protect(bed.request(cookie)), secrets)
    expectNoSecret(await bed.auth.accessToken(bed.request(cookie)), [secrets[0]!])
    // Failures and answers carry neither secrets nor tokens.
    const failure = await bed.auth.protect(bed.request('oidc_session=garbage'))
    expectNoSecret(failure, [...secrets, ...tokens])
    const login = await bed.auth.handler(new Request(`${bed.url}/login`))
    expectNoSecret(login, [...secrets, ...tokens])
    const logout = await bed.auth.handler(
      new Request(`${bed.url}/logout`, { method: 'POST', headers: { cookie, origin: bed.url } }),
    )
    // The logout answer carries the id_token as hint, by design; nothing else.
    expectNoSecret(logout, [...secrets, session!.tokens.accessToken, session!.tokens.refreshToken!])
    expect(bed.auth.store).toBeDefined()
  })
})
