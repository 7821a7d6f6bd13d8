import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Unmatched network calls are errors in msw-based files; real-provider tests use loopback only.
    pool: 'forks',
    reporters: ['default'],
  },
})
