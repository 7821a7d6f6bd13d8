import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests and examples run against the sources; test/package/ checks the built package.
    alias: [
      // The Node backend of the session codec, as under the package's `node` condition
      // (test/session/codec-backends.test.ts also runs the codec on seal-web.ts).
      { find: /^#seal$/, replacement: src('lib/seal-node.ts') },
      { find: /^oidc-session\/express$/, replacement: src('adapters/express/index.ts') },
      { find: /^oidc-session\/node$/, replacement: src('adapters/node/index.ts') },
      { find: /^oidc-session\/koa$/, replacement: src('adapters/koa/index.ts') },
      { find: /^oidc-session\/fastify$/, replacement: src('adapters/fastify/index.ts') },
      { find: /^oidc-session\/hono$/, replacement: src('adapters/hono/index.ts') },
      { find: /^oidc-session\/next$/, replacement: src('adapters/next/index.ts') },
      { find: /^oidc-session\/redis$/, replacement: src('stores/redis/index.ts') },
      { find: /^oidc-session\/ajax$/, replacement: src('ajax/index.ts') },
      { find: /^oidc-session\/otel$/, replacement: src('otel/index.ts') },
      { find: /^oidc-session$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Fails the run before any test when redis-server or Chromium is missing (test/setup/preflight.ts).
    globalSetup: ['test/setup/preflight.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
