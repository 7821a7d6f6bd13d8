import { describe, expect, it } from 'vitest'
import { CookieTooLargeError } from '../../../src/errors.js'
import { CookieJar } from '../../../src/request/cookie-jar.js'
import { createSealer } from '../../../src/session/codec.js'
import { cookieStore } from '../../../src/stores/cookie/index.js'
import { Browser, context, makeSession, noise } from '../../fixtures/store-helpers.js'

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
})
