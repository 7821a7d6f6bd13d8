/**
 * The cookie store suites (store edges, regressions, the fast-check fuzz of its parsers and of
 * unsealing) again, with `#seal` on the Web backend (`jose` + WebCrypto) instead of the Node one
 * the other runs use: the same inputs must get the same verdicts.
 */
import { expect, it, vi } from 'vitest'
import { sealBackend } from '../../../src/session/codec.js'
import './cookie.test.js'
import './fuzz.test.js'
import './regressions.test.js'

vi.mock('#seal', () => import('../../../src/lib/seal-web.js'))

it('runs the cookie store on the Web backend', () => {
  expect(sealBackend).toBe('web')
})
