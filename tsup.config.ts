import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'ajax/index': 'src/ajax/index.ts',
    'redis/index': 'src/stores/redis/index.ts',
    'otel/index': 'src/otel/index.ts',
    'adapters/express/index': 'src/adapters/express/index.ts',
    'adapters/node/index': 'src/adapters/node/index.ts',
    'adapters/koa/index': 'src/adapters/koa/index.ts',
    'adapters/fastify/index': 'src/adapters/fastify/index.ts',
    'adapters/hono/index': 'src/adapters/hono/index.ts',
    'adapters/next/index': 'src/adapters/next/index.ts',
    // The `#seal` backends, chosen at run time by the package.json "imports" conditions.
    'lib/seal-node': 'src/lib/seal-node.ts',
    'lib/seal-web': 'src/lib/seal-web.ts',
  },
  format: ['esm', 'cjs'],
  // All of src/ with Node's types (the Redis subpath and adapters use node:*); the core is checked
  // without them by `tsc -p tsconfig.json`.
  tsconfig: 'tsconfig.build.json',
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: true,
  treeshake: true,
  external: [
    '@opentelemetry/api',
    'express',
    'koa',
    'fastify',
    'hono',
    'ioredis',
    'redis',
    'next',
    /^next\//,
    /^node:/,
    '#seal',
  ],
})
