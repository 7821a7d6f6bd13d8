import { defineConfig } from 'tsup'

/**
 * The dependencies published only as ES modules. The CommonJS build bundles them (a CJS consumer
 * — Jest, `node --no-experimental-require-module`, Node < 20.19 — cannot `require()` them); the ESM
 * build keeps them as imports, so an ESM consumer shares one copy with the rest of its graph.
 */
const esmOnly = ['jose', 'oauth4webapi']

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
  // The declarations import no type from the ESM-only dependencies (the public claim types are
  // declared in src/tokens/claims.ts): a `.d.cts` importing an ES module is error TS1479 for a
  // `module: node16` CommonJS consumer that type-checks libraries. test/package/ checks both.
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: true,
  treeshake: true,
  // Peer dependencies and Node built-ins are never bundled, in either format; nor is `#seal`,
  // which Node resolves at run time through package.json "imports" (node → seal-node, else
  // seal-web), per format.
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
  // The ESM-only dependencies: bundled into the CJS build only. tsup runs esbuild in ESM mode for
  // both formats (then converts the CJS chunks), so the ESM build marks them external through
  // esbuild's own `external`, which applies after tsup's plugin lets `noExternal` imports through.
  noExternal: esmOnly.map((name) => new RegExp(`^${name}(?:/|$)`)),
  esbuildOptions(options, { format }) {
    if (format === 'esm') options.external = [...(options.external ?? []), ...esmOnly]
  },
})
