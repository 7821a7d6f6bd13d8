/**
 * `oidc-session/ajax` stays small enough for edge middleware: ≤ 1 KB minified and gzipped.
 */
import { describe, expect, it } from 'vitest'
import { AJAX_BUDGET_BYTES, measureAjaxBundle } from '../../bench/ajax-size/size.js'

describe('oidc-session/ajax bundle size', () => {
  it('is at most 1 KB gzipped (esbuild, minified)', async () => {
    const { minified, gzipped } = await measureAjaxBundle()
    expect(minified).toBeGreaterThan(500) // the classifier really is in the bundle
    expect(gzipped).toBeLessThanOrEqual(AJAX_BUDGET_BYTES)
  })
})
