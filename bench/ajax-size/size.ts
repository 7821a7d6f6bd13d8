/**
 * Size of the `oidc-session/ajax` subpath as an edge bundle would ship it: `src/ajax/index.ts`
 * bundled by esbuild (ESM, `platform: neutral`, minified), then gzipped (level 9).
 */
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

/** The goal: at most 1 KB gzipped. */
export const AJAX_BUDGET_BYTES = 1024

/** Bytes of the minified bundle and of its gzipped form. */
export interface AjaxBundleSize {
  minified: number
  gzipped: number
}

/** Bundle `src/ajax/index.ts` in memory and measure it. */
export async function measureAjaxBundle(): Promise<AjaxBundleSize> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../../src/ajax/index.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]!.contents
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength }
}
