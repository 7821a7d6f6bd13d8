/** `jwtClaims`: the payload of a JWT the library holds, decoded once and shared read-only. */
import { UnsecuredJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { jwtClaims } from '../../src/tokens/claims.js'

const token = (sub: string, sid?: string) =>
  new UnsecuredJWT({ sub, ...(sid ? { sid } : {}) }).setIssuer('https://op.example').encode()

describe('jwtClaims', () => {
  it('decodes a JWT payload, and the same token again to the very same (frozen) object', () => {
    const t = token('alice', 'sid-1')
    const claims = jwtClaims(t)
    expect(claims).toMatchObject({ sub: 'alice', sid: 'sid-1', iss: 'https://op.example' })
    expect(jwtClaims(`${t}`)).toBe(claims)
    expect(Object.isFrozen(claims)).toBe(true)
  })

  it('keeps tokens apart, and answers undefined for what does not decode', () => {
    const tokens = Array.from({ length: 12 }, (_, i) => token(`user-${i}`))
    for (const [i, t] of tokens.entries()) expect(jwtClaims(t)?.sub).toBe(`user-${i}`)
    // Past the few kept: decoded again, still right.
    expect(jwtClaims(tokens[0]!)?.sub).toBe('user-0')
    for (const bad of ['', 'a.b.c', 'not-a-jwt', 'eyJhbGciOiJub25lIn0.bm90LWpzb24.']) {
      expect(jwtClaims(bad)).toBeUndefined()
    }
  })
})
