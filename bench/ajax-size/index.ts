/**
 * `npm run bench -- ajax-size`: how many bytes `oidc-session/ajax` adds to an edge bundle
 * (esbuild, minified, gzipped). Goal: ≤ 1 KB.
 */
import { AJAX_BUDGET_BYTES, measureAjaxBundle } from './size.js'

const { minified, gzipped } = await measureAjaxBundle()
console.log('| bundle | bytes |')
console.log('|---|---:|')
console.log(`| oidc-session/ajax, esbuild --minify | ${minified} |`)
console.log(`| same, gzip -9 | ${gzipped} |`)
console.log(`| budget (gzipped) | ${AJAX_BUDGET_BYTES} |`)
if (gzipped > AJAX_BUDGET_BYTES) {
  console.error(`over budget by ${gzipped - AJAX_BUDGET_BYTES} bytes`)
  process.exitCode = 1
}
