/**
 * The preflight of `npm test` names what is missing and how to install it.
 */
import { describe, expect, it } from 'vitest'
import { missingPrerequisites } from './preflight.js'

describe('npm test preflight', () => {
  it('is satisfied on this machine (CI installs redis-server and chromium)', () => {
    expect(missingPrerequisites()).toEqual([])
  })

  it('names a missing Chromium with the Debian package to install', () => {
    const missing = missingPrerequisites({ CHROMIUM_PATH: '/nonexistent/chromium' })
    expect(missing).toHaveLength(1)
    expect(missing[0]).toMatch(/apt-get install -y chromium/)
  })
})
