/**
 * Per-resource tokens and the sealed DPoP key in both wire forms of a session (the JSON form of
 * stateful stores, the packed form of the cookie store), and the options that configure them.
 */
import { describe, expect, it } from 'vitest'
import { resolveConfig, type OidcSessionConfig } from '../../src/config.js'
import {
  decodeSession,
  encodeSession,
  packSession,
  unpackSession,
  type Session,
} from '../../src/session/session.js'

const jwt = (payload: object) =>
  [
    Buffer.from('{"alg":"RS256"}').toString('base64url'),
    Buffer.from(JSON.stringify(payload)).toString('base64url'),
    Buffer.alloc(256, 3).toString('base64url'),
  ].join('.')

const session: Session = {
  id: 'session-1',
  version: 3,
  createdAt: 1_700_000_000,
  expiresAt: 1_700_086_400,
  sub: 'alice',
  tokens: {
    accessToken: 'own-token',
    tokenType: 'dpop',
    expiresAt: 1_700_000_300,
    issuedAt: 1_700_000_000,
    refreshToken: 'refresh-token',
    idToken: jwt({ sub: 'alice', iss: 'https://idp.example' }),
  },
  resourceTokens: [
    {
      resource: 'https://api.example',
      accessToken: jwt({ aud: 'https://api.example' }),
      tokenType: 'dpop',
      expiresAt: 1_700_000_300,
      issuedAt: 1_700_000_000,
    },
    { resource: 'orders', accessToken: 'opaque token with spaces', tokenType: 'bearer' },
  ],
  dpopKey: 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoiYWJjIn0..aXY.Y2lwaGVy.dGFn',
}

describe('resourceTokens and dpopKey in the wire forms', () => {
  it('survive the JSON form', () => {
    expect(decodeSession(JSON.parse(JSON.stringify(encodeSession(session))))).toEqual(session)
  })

  it('survive the packed form, JWT-shaped tokens and the sealed key stored as raw bytes', () => {
    const packed = packSession(session)
    expect(unpackSession(packed)).toEqual(session)
    const text = new TextDecoder('latin1').decode(packed)
    expect(text).not.toContain(session.resourceTokens![0]!.accessToken)
    expect(text).not.toContain(session.dpopKey)
    expect(text).toContain('opaque token with spaces') // not base64url: kept as a string
  })

  it('leave sessions without them as before', () => {
    const plain: Session = { ...session }
    delete plain.resourceTokens
    delete (plain as { dpopKey?: string }).dpopKey
    expect(encodeSession(plain)).not.toHaveProperty('g')
    expect(encodeSession(plain)).not.toHaveProperty('k')
    expect(unpackSession(packSession(plain))).toEqual(plain)
  })

  it.each([
    ['g is not an array', { g: {} }],
    ['an entry without a resource', { g: [{ a: 't', t: 'bearer' }] }],
    ['an entry with a non-numeric expiry', { g: [{ u: 'r', a: 't', t: 'bearer', e: 'soon' }] }],
    ['a non-string key', { k: 42 }],
  ])('a malformed wire session (%s) decodes to null', (_, patch) => {
    expect(decodeSession({ ...encodeSession(session), ...patch })).toBeNull()
  })
})

describe('options', () => {
  const base: OidcSessionConfig = {
    issuer: 'http://127.0.0.1:9999',
    client: { id: 'app', secret: 'secret' },
    redirectUri: 'http://127.0.0.1:3000/callback',
    secrets: ['a-secret-a-secret-a-secret-a-secret-0123'],
  }

  it('resolve resources, DPoP and PAR (the default resource joins the login resources)', () => {
    const config = resolveConfig({
      ...base,
      dpop: true,
      pushedAuthorizationRequests: true,
      resources: {
        indicators: ['https://a.example', 'https://b.example'],
        default: 'https://c.example',
      },
    })
    expect(config.provider.resources).toEqual({
      login: ['https://c.example', 'https://a.example', 'https://b.example'],
      default: 'https://c.example',
      parameter: 'resource',
    })
    expect(config.provider.dpop).toBe(true)
    expect(config.provider.pushedAuthorizationRequests).toBe(true)
    expect(config.resourceTokens).toEqual({ maxPerSession: 4, parameter: 'resource' })
    const defaults = resolveConfig(base)
    expect(defaults.dpop).toBe(false)
    expect(defaults.provider.pushedAuthorizationRequests).toBe(false)
    expect(defaults.provider.resources?.login).toEqual([])
  })

  it.each([
    [{ dpop: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
    [{ pushedAuthorizationRequests: 1 }, 'ERR_INVALID_ARG_TYPE'],
    [{ resources: [] }, 'ERR_INVALID_ARG_TYPE'],
    [{ resources: { indicators: 'https://a.example' } }, 'ERR_INVALID_ARG_TYPE'],
    [{ resources: { indicators: ['relative/path'] } }, 'ERR_INVALID_ARG_VALUE'],
    [{ resources: { indicators: ['https://a.example/#frag'] } }, 'ERR_INVALID_ARG_VALUE'],
    [{ resources: { default: '' } }, 'ERR_INVALID_ARG_TYPE'],
    [{ resources: { parameter: 'aud' } }, 'ERR_INVALID_ARG_VALUE'],
    [{ resources: { maxPerSession: 1.5 } }, 'ERR_INVALID_ARG_VALUE'],
  ])('refuse %o (%s)', (patch, code) => {
    expect(() => resolveConfig({ ...base, ...(patch as object) } as OidcSessionConfig)).toThrow(
      expect.objectContaining({ name: 'TypeError', code }),
    )
  })

  it('accept any audience with parameter: audience', () => {
    const config = resolveConfig({
      ...base,
      resources: { indicators: ['orders-api'], parameter: 'audience' },
    })
    expect(config.provider.resources?.login).toEqual(['orders-api'])
  })
})
