/**
 * Regression: `unpackSession` rebuilt a token stored as raw segments into a buffer sized from the
 * total byte count, which is too small when several segments round up (every segment of length
 * ≡ 1 mod 3 adds two thirds of a character): the last character was silently dropped. RS256 and
 * ES256 signatures are such segments (256 and 64 bytes), so about one JWT in nine lost its last
 * signature character in the cookie store; a five-segment JWE lost it more often.
 */
import { describe, expect, it } from 'vitest'
import { packSession, unpackSession, type Session } from '../../src/session/session.js'

const session = (accessToken: string, idToken?: string): Session => ({
  id: 'session-id',
  version: 1,
  createdAt: 1_700_000_000,
  expiresAt: 1_700_086_400,
  sub: 'alice',
  tokens: { accessToken, tokenType: 'Bearer', ...(idToken ? { idToken } : {}) },
})

/** A base64url segment of `bytes` bytes. */
const segment = (bytes: number, fill = 7) => Buffer.alloc(bytes, fill).toString('base64url')

describe('packed tokens keep every character (segment rounding)', () => {
  it('three segments of 1 mod 3 bytes each (the smallest case)', () => {
    const token = 'AA.AA.AA'
    expect(unpackSession(packSession(session(token)))?.tokens.accessToken).toBe(token)
  })

  it('a JWT-shaped id_token with an RS256-sized signature whose header and payload are 1 mod 3', () => {
    const idToken = [segment(28), segment(301), segment(256)].join('.')
    const restored = unpackSession(
      packSession({
        ...session('opaque'),
        tokens: { accessToken: 'opaque', tokenType: 'Bearer', idToken },
      }),
    )
    expect(restored?.tokens.idToken).toBe(idToken)
  })

  it('every combination of segment lengths modulo 3, for two to five segments', () => {
    for (let count = 2; count <= 5; count++) {
      for (let mask = 0; mask < 3 ** count; mask++) {
        const lengths = Array.from(
          { length: count },
          (_, i) => 30 + (Math.floor(mask / 3 ** i) % 3),
        )
        const token = lengths.map((n, i) => segment(n, i + 1)).join('.')
        expect(unpackSession(packSession(session(token)))?.tokens.accessToken).toBe(token)
      }
    }
  })
})
