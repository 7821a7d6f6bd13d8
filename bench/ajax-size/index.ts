/**
 * `npm run bench -- ajax-size`: how many bytes `oidc-session/ajax` adds to an edge bundle
 * (esbuild, minified, gzipped). Goal: ≤ 1 KB.
 */
import { report } from '../report.js'
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

// Rows for bench/results.json (npm run bench).
report('ajax-size', [
  {
    row: 'oidc-session/ajax in an edge bundle (esbuild --minify, gzip -9)',
    contender: 'oidc-session/ajax',
    figure: gzipped,
    unit: 'B',
    better: 'lower',
    runs: 1,
    ratio: gzipped / AJAX_BUDGET_BYTES,
    against: `the budget, ${AJAX_BUDGET_BYTES} B`,
    note: `${minified} B minified`,
  },
])
