import { describe, expect, it } from 'vitest'
import { resolveConfig, type OidcSessionConfig } from '../src/config.js'
import { validateSecrets } from '../src/lib/secrets.js'

const SECRET = 's'.repeat(32)

function base(overrides: Partial<OidcSessionConfig> = {}): OidcSessionConfig {
  return {
    issuer: 'https://idp.example.com/realms/demo',
    client: { id: 'app', secret: 'client-secret' },
    redirectUri: 'https://app.example.com/auth/callback',
    secrets: SECRET,
    ...overrides,
  }
}

/** Expect `fn` to throw a `TypeError` carrying the Node-style `code`. */
function expectInvalid(
  fn: () => unknown,
  code: 'ERR_INVALID_ARG_VALUE' | 'ERR_INVALID_ARG_TYPE' = 'ERR_INVALID_ARG_VALUE',
): TypeError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(TypeError)
  expect((caught as { code?: unknown }).code).toBe(code)
  return caught as TypeError
}

describe('resolveConfig defaults', () => {
  it('defaults an https app to secure __Host- cookies, lax, path / and no domain', () => {
    const config = resolveConfig(base())
    expect(config.cookie).toEqual({
      name: '__Host-oidc_session',
      attributes: { httpOnly: true, secure: true, sameSite: 'lax', path: '/' },
    })
    expect(config.transactionCookie.prefix).toBe('__Host-oidc_session_tx.')
  })

  it('derives the app origin and the default post-logout URI from the redirect URI', () => {
    const config = resolveConfig(base())
    expect(config.origin).toBe('https://app.example.com')
    expect(config.provider.redirectUri.href).toBe('https://app.example.com/auth/callback')
    expect(config.logout.postLogoutRedirectUri.href).toBe('https://app.example.com/')
    expect(config.routes).toEqual({
      login: '/login',
      callback: '/auth/callback',
      logout: '/logout',
      backchannelLogout: '/backchannel-logout',
    })
  })

  it('fills the documented numeric and string defaults', () => {
    const config = resolveConfig(base())
    expect(config.provider.scope).toBe('openid profile offline_access')
    expect(config.absoluteDuration).toBe(7 * 24 * 3600)
    expect(config.lifecycle).toEqual({ leewaySeconds: 60, clockToleranceSeconds: 30 })
    expect(config.provider.timeoutMs).toBe(10_000)
    expect(config.provider.clockToleranceSeconds).toBe(30)
    expect(config.now).toBe(Date.now)
    expect(config.provider.authorizationParams).toEqual({})
    expect(config.store).toBeUndefined()
    expect(config.refresh.lock).toBeUndefined()
    expect(config.refresh.resultCache).toBeUndefined()
  })

  it('uses no prefix and non-secure cookies for a plain-HTTP loopback redirect URI', () => {
    for (const redirectUri of [
      'http://localhost:3000/callback',
      'http://127.0.0.1:3000/callback',
      'http://[::1]:3000/callback',
    ]) {
      const config = resolveConfig(base({ redirectUri }))
      expect(config.cookie.attributes.secure).toBe(false)
      expect(config.cookie.name).toBe('oidc_session')
    }
  })

  it('uses __Secure- when the cookie has a domain or a path other than /', () => {
    expect(resolveConfig(base({ cookies: { domain: 'example.com' } })).cookie.name).toBe(
      '__Secure-oidc_session',
    )
    expect(resolveConfig(base({ cookies: { path: '/app' } })).cookie.name).toBe(
      '__Secure-oidc_session',
    )
  })

  it('honours an explicit secure: true on loopback http (prefix __Host-)', () => {
    const config = resolveConfig(
      base({ redirectUri: 'http://localhost/callback', cookies: { secure: true } }),
    )
    expect(config.cookie.attributes.secure).toBe(true)
    expect(config.cookie.name).toBe('__Host-oidc_session')
  })

  it('allows a plain-HTTP non-loopback redirect URI only with cookies.secure: false', () => {
    const config = resolveConfig(
      base({ redirectUri: 'http://app.internal/callback', cookies: { secure: false } }),
    )
    expect(config.cookie.attributes.secure).toBe(false)
    expect(config.cookie.name).toBe('oidc_session')
  })

  it('chooses the client auth method from what is configured', () => {
    expect(resolveConfig(base()).provider.client.authMethod).toBe('client_secret_basic')
    expect(resolveConfig(base({ client: { id: 'app' } })).provider.client.authMethod).toBe('none')
    const key = {} as CryptoKey
    expect(
      resolveConfig(base({ client: { id: 'app', privateKey: key } })).provider.client.authMethod,
    ).toBe('private_key_jwt')
    expect(
      resolveConfig(base({ client: { id: 'app', secret: 'x', authMethod: 'client_secret_post' } }))
        .provider.client.authMethod,
    ).toBe('client_secret_post')
  })

  it('allows insecure requests by default only for loopback http issuers', () => {
    expect(resolveConfig(base()).provider.allowInsecureRequests).toBe(false)
    for (const issuer of [
      'http://localhost:4000',
      'http://127.0.0.1:4000/oidc',
      'http://127.1.2.3',
      'http://[::1]:4000',
    ]) {
      expect(resolveConfig(base({ issuer })).provider.allowInsecureRequests).toBe(true)
    }
    // An https loopback issuer needs no insecure requests.
    expect(
      resolveConfig(base({ issuer: 'https://localhost:4000' })).provider.allowInsecureRequests,
    ).toBe(false)
  })

  it('accepts an http non-loopback issuer only with an explicit allowInsecureRequests', () => {
    const config = resolveConfig(
      base({ issuer: 'http://idp.internal', http: { allowInsecureRequests: true } }),
    )
    expect(config.provider.allowInsecureRequests).toBe(true)
    expect(config.provider.issuer.href).toBe('http://idp.internal/')
  })

  it('accepts URL objects and a single secret string, freezing the secrets', () => {
    const config = resolveConfig(
      base({ issuer: new URL('https://idp.example.com'), redirectUri: new URL('https://a.b/c') }),
    )
    expect(config.provider.issuer).toBeInstanceOf(URL)
    expect(config.origin).toBe('https://a.b')
    expect(config.secrets).toEqual([SECRET])
    expect(Object.isFrozen(config.secrets)).toBe(true)
  })

  it('copies authorizationParams so later mutation of the input does not leak in', () => {
    const authorizationParams: Record<string, string> = { prompt: 'consent' }
    const config = resolveConfig(base({ authorizationParams }))
    authorizationParams.prompt = 'none'
    expect(config.provider.authorizationParams).toEqual({ prompt: 'consent' })
  })

  it('accepts zero leeway and zero clock tolerance', () => {
    const config = resolveConfig(base({ refresh: { leewaySeconds: 0 }, clockToleranceSeconds: 0 }))
    expect(config.lifecycle).toEqual({ leewaySeconds: 0, clockToleranceSeconds: 0 })
  })

  it('passes the injected clock through', () => {
    const now = () => 1_700_000_000_000
    expect(resolveConfig(base({ now })).now).toBe(now)
  })
})

describe('resolveConfig refuses invalid options', () => {
  it('refuses a non-object', () => {
    expectInvalid(() => resolveConfig(null as unknown as OidcSessionConfig), 'ERR_INVALID_ARG_TYPE')
    expectInvalid(() => resolveConfig('x' as unknown as OidcSessionConfig), 'ERR_INVALID_ARG_TYPE')
  })

  it('refuses short secrets, empty lists and non-strings', () => {
    expectInvalid(() => resolveConfig(base({ secrets: 's'.repeat(31) })))
    expectInvalid(() => resolveConfig(base({ secrets: [SECRET, 'short'] })))
    expectInvalid(() => resolveConfig(base({ secrets: [] })), 'ERR_INVALID_ARG_TYPE')
    expectInvalid(
      () => resolveConfig(base({ secrets: [42] as unknown as string[] })),
      'ERR_INVALID_ARG_TYPE',
    )
    expectInvalid(
      () => resolveConfig(base({ secrets: undefined as unknown as string })),
      'ERR_INVALID_ARG_TYPE',
    )
  })

  it('never puts a secret in the error message', () => {
    const secret = 'hunter2-hunter2'
    const error = expectInvalid(() => resolveConfig(base({ secrets: [SECRET, secret] })))
    expect(error.message).not.toContain(secret)
    expect(error.message).not.toContain(SECRET)
  })

  it('refuses a missing client secret for the secret-based methods', () => {
    for (const authMethod of ['client_secret_basic', 'client_secret_post'] as const) {
      expectInvalid(() => resolveConfig(base({ client: { id: 'app', authMethod } })))
    }
  })

  it('refuses private_key_jwt without a key, and unknown methods', () => {
    expectInvalid(() =>
      resolveConfig(base({ client: { id: 'app', authMethod: 'private_key_jwt' } })),
    )
    expectInvalid(() =>
      resolveConfig(
        base({ client: { id: 'app', authMethod: 'tls_client_auth' as 'none', secret: 'x' } }),
      ),
    )
  })

  it('refuses a bad client', () => {
    expectInvalid(
      () => resolveConfig(base({ client: undefined as unknown as { id: string } })),
      'ERR_INVALID_ARG_TYPE',
    )
    expectInvalid(() => resolveConfig(base({ client: { id: '' } })))
    expectInvalid(() => resolveConfig(base({ client: { id: 'app', secret: '' } })))
  })

  it('refuses a scope without openid', () => {
    expectInvalid(() => resolveConfig(base({ scope: 'profile email' })))
    expectInvalid(() => resolveConfig(base({ scope: 'openidprofile' })))
    expectInvalid(() => resolveConfig(base({ scope: '' })))
  })

  it('refuses a plain-HTTP non-loopback redirect URI', () => {
    expectInvalid(() => resolveConfig(base({ redirectUri: 'http://app.example.com/callback' })))
    expectInvalid(() =>
      resolveConfig(
        base({ redirectUri: 'http://app.example.com/callback', cookies: { secure: true } }),
      ),
    )
  })

  it('refuses a plain-HTTP non-loopback issuer unless explicitly allowed', () => {
    expectInvalid(() => resolveConfig(base({ issuer: 'http://idp.example.com' })))
    expectInvalid(() =>
      resolveConfig(
        base({ issuer: 'http://idp.example.com', http: { allowInsecureRequests: false } }),
      ),
    )
    // Loopback lookalikes are not loopback.
    expectInvalid(() => resolveConfig(base({ issuer: 'http://localhost.evil.com' })))
    expectInvalid(() => resolveConfig(base({ issuer: 'http://127.0.0.1.evil.com' })))
  })

  it('refuses non-URLs and non-http(s) URLs', () => {
    expectInvalid(() => resolveConfig(base({ issuer: 'not a url' })))
    expectInvalid(() => resolveConfig(base({ issuer: 'ftp://idp.example.com' })))
    expectInvalid(
      () => resolveConfig(base({ issuer: 42 as unknown as string })),
      'ERR_INVALID_ARG_TYPE',
    )
    expectInvalid(() => resolveConfig(base({ redirectUri: '/callback' })))
    expectInvalid(() => resolveConfig(base({ postLogoutRedirectUri: 'javascript:alert(1)' })))
  })

  it('refuses every managed authorization parameter', () => {
    for (const key of [
      'state',
      'nonce',
      'code_challenge',
      'code_challenge_method',
      'redirect_uri',
      'client_id',
      'response_type',
    ]) {
      const error = expectInvalid(() =>
        resolveConfig(base({ authorizationParams: { [key]: 'x' } })),
      )
      expect(error.message).toContain(key)
    }
  })

  it('refuses non-string authorization parameters', () => {
    expectInvalid(
      () =>
        resolveConfig(
          base({ authorizationParams: { max_age: 0 } as unknown as Record<string, string> }),
        ),
      'ERR_INVALID_ARG_TYPE',
    )
  })

  it('refuses bad cookie names, including hand-written prefixes', () => {
    for (const name of ['', 'has space', 'semi;colon', 'a=b', '__Host-x', '__Secure-x', 'é']) {
      expectInvalid(() => resolveConfig(base({ cookies: { name } })))
    }
    expect(resolveConfig(base({ cookies: { name: 'my.app_sess-1' } })).cookie.name).toBe(
      '__Host-my.app_sess-1',
    )
  })

  it('refuses sameSite none without secure, and unknown sameSite values', () => {
    expectInvalid(() =>
      resolveConfig(
        base({ redirectUri: 'http://localhost/callback', cookies: { sameSite: 'none' } }),
      ),
    )
    expectInvalid(() => resolveConfig(base({ cookies: { sameSite: 'none', secure: false } })))
    expectInvalid(() => resolveConfig(base({ cookies: { sameSite: 'Lax' as 'lax' } })))
    expect(resolveConfig(base({ cookies: { sameSite: 'none' } })).cookie.attributes.sameSite).toBe(
      'none',
    )
  })

  it('refuses a cookie path not starting with / and an empty domain', () => {
    expectInvalid(() => resolveConfig(base({ cookies: { path: 'app' } })))
    expectInvalid(() => resolveConfig(base({ cookies: { domain: '' } })))
    expectInvalid(
      () => resolveConfig(base({ cookies: 'secure' as unknown as object })),
      'ERR_INVALID_ARG_TYPE',
    )
  })

  it('refuses non-positive durations and negative leeway', () => {
    expectInvalid(() => resolveConfig(base({ session: { absoluteDuration: 0 } })))
    expectInvalid(() => resolveConfig(base({ session: { absoluteDuration: -1 } })))
    expectInvalid(() => resolveConfig(base({ session: { absoluteDuration: Infinity } })))
    expectInvalid(() => resolveConfig(base({ refresh: { leewaySeconds: -1 } })))
    expectInvalid(() => resolveConfig(base({ refresh: { leewaySeconds: Number.NaN } })))
    expectInvalid(() => resolveConfig(base({ http: { timeoutMs: 0 } })))
    expectInvalid(() => resolveConfig(base({ clockToleranceSeconds: -5 })))
    expectInvalid(() => resolveConfig(base({ clockToleranceSeconds: '30' as unknown as number })))
  })

  it('refuses route paths that are not absolute paths, or collide', () => {
    for (const login of ['login', '//evil.example/login', 'https://evil.example/login', '/a?b']) {
      expectInvalid(() => resolveConfig(base({ routes: { login } })))
    }
    expectInvalid(() => resolveConfig(base({ routes: { logout: '/login' } })))
    // The callback route is the redirect URI's path, nothing else.
    expectInvalid(() => resolveConfig(base({ routes: { callback: '/elsewhere' } })))
    expect(resolveConfig(base({ routes: { login: '/auth/login' } })).routes.login).toBe(
      '/auth/login',
    )
  })

  it('refuses a baseUrl that is not the redirect URI origin, and takes its origin only', () => {
    expectInvalid(() => resolveConfig(base({ baseUrl: 'https://other.example.com' })))
    expect(resolveConfig(base({ baseUrl: 'https://app.example.com/some/path' })).origin).toBe(
      'https://app.example.com',
    )
  })

  it('validates classify, the stores and the logger', () => {
    expectInvalid(
      () => resolveConfig(base({ classify: { predicate: 'x' as unknown as () => boolean } })),
      'ERR_INVALID_ARG_TYPE',
    )
    expectInvalid(
      () => resolveConfig(base({ classify: { ajaxPaths: [42 as unknown as string] } })),
      'ERR_INVALID_ARG_TYPE',
    )
    expectInvalid(
      () => resolveConfig(base({ classify: { defaultAjax: 'yes' as unknown as boolean } })),
      'ERR_INVALID_ARG_TYPE',
    )
    expectInvalid(
      () =>
        resolveConfig(base({ store: {} as unknown as NonNullable<OidcSessionConfig['store']> })),
      'ERR_INVALID_ARG_TYPE',
    )
    expectInvalid(
      () =>
        resolveConfig(base({ logger: {} as unknown as NonNullable<OidcSessionConfig['logger']> })),
      'ERR_INVALID_ARG_TYPE',
    )
    expectInvalid(
      () =>
        resolveConfig(
          base({
            refresh: {
              resultCache: {} as unknown as NonNullable<
                NonNullable<OidcSessionConfig['refresh']>['resultCache']
              >,
            },
          }),
        ),
      'ERR_INVALID_ARG_TYPE',
    )
  })

  it('refuses a non-function now and fetch', () => {
    expectInvalid(
      () => resolveConfig(base({ now: 5 as unknown as () => number })),
      'ERR_INVALID_ARG_TYPE',
    )
    expectInvalid(
      () => resolveConfig(base({ http: { fetch: 'x' as unknown as typeof fetch } })),
      'ERR_INVALID_ARG_TYPE',
    )
  })
})

describe('validateSecrets', () => {
  it('names the option it validates', () => {
    const error = expectInvalid(() => validateSecrets('short', 'store.secrets'))
    expect(error.message).toContain('store.secrets')
  })

  it('returns a frozen copy of a valid list', () => {
    const input = [SECRET, 't'.repeat(40)]
    const output = validateSecrets(input)
    expect(output).toEqual(input)
    expect(output).not.toBe(input)
    expect(Object.isFrozen(output)).toBe(true)
  })
})

describe('regressions', () => {
  it('authorizationParams.scope cannot bypass the openid check', () => {
    expect(() =>
      resolveConfig({
        issuer: 'https://i.example',
        client: { id: 'a' },
        redirectUri: 'https://a.example/cb',
        secrets: SECRET,
        authorizationParams: { scope: 'profile' },
      }),
    ).toThrow(TypeError)
  })
})
