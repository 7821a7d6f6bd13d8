/**
 * `bun test/adapters/runtimes/bun.ts`: serve the Hono runtime app with `Bun.serve` on `PORT`.
 */
import { createRuntimeApp, type RuntimeEnv } from './hono-app.js'

declare const Bun: {
  env: Record<string, string | undefined>
  serve(options: { port: number; hostname: string; fetch: (request: Request) => unknown }): unknown
}

const env = Bun.env as unknown as RuntimeEnv & { PORT: string }
Bun.serve({ port: Number(env.PORT), hostname: '127.0.0.1', fetch: createRuntimeApp(env).fetch })
console.log(`ready ${env.PORT}`)
