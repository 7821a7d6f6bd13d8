import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'ajax/index': 'src/ajax/index.ts',
    'redis/index': 'src/stores/redis/index.ts',
    'adapters/express/index': 'src/adapters/express/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: true,
  treeshake: true,
  external: ['express', 'ioredis', 'redis', /^node:/],
})
