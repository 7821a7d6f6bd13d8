import { describe, expect, it } from 'vitest'
import { decodeSession, encodeSession, type Session } from '../../src/session/session.js'
import { makeSession } from '../fixtures/store-helpers.js'

const NOW = 1_700_000_000

describe('encodeSession / decodeSession', () => {
  it('round-trips a full session through JSON', () => {
    const session = makeSession(NOW)
    expect(decodeSession(JSON.parse(JSON.stringify(encodeSession(session))))).toEqual(session)
  })

  it('round-trips a minimal session without inventing optional fields', () => {
    const session: Session = {
      id: 'i',
      version: 3,
      createdAt: NOW,
      expiresAt: NOW + 1,
      sub: 's',
      tokens: { accessToken: 'a', tokenType: 'Bearer' },
    }
    const wire = encodeSession(session)
    expect(Object.keys(wire).sort()).toEqual(['a', 'c', 'i', 's', 't', 'v', 'x'])
    const decoded = decodeSession(wire)
    expect(decoded).toEqual(session)
    expect(decoded && Object.keys(decoded).sort()).toEqual(Object.keys(session).sort())
    expect(decoded && Object.keys(decoded.tokens).sort()).toEqual(['accessToken', 'tokenType'])
  })

  it('answers null, never throws, for anything malformed', () => {
    const good = encodeSession(makeSession(NOW)) as unknown as Record<string, unknown>
    const bad: unknown[] = [
      null,
      undefined,
      'string',
      42,
      [],
      [good],
      {},
      { ...good, i: 1 },
      { ...good, v: '1' },
      { ...good, v: Number.NaN },
      { ...good, c: Infinity },
      { ...good, x: null },
      { ...good, s: undefined },
      { ...good, a: {} },
      { ...good, t: 1 },
      { ...good, d: 1 },
      { ...good, e: '5' },
      { ...good, r: null },
      { ...good, o: 1 },
      { ...good, p: [] },
    ]
    for (const value of bad) expect(decodeSession(value), JSON.stringify(value)).toBeNull()
  })
})
