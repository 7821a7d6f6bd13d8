/**
 * The codec suite (`codec.test.ts`) again, with `#seal` on the Web backend (`jose` + WebCrypto)
 * instead of the Node one the other runs use: the same values must get the same verdicts.
 */
import { expect, it, vi } from 'vitest'
import { sealBackend } from '../../src/session/codec.js'
import './codec.test.js'

vi.mock('#seal', () => import('../../src/lib/seal-web.js'))

it('runs the codec on the Web backend', () => {
  expect(sealBackend).toBe('web')
})
