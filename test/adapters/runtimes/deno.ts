/**
 * `deno run test/adapters/runtimes/deno.ts`: serve the Hono runtime app with `Deno.serve` on `PORT`.
 */
import { createRuntimeApp, type RuntimeEnv } from './hono-app.js'

declare const Deno: {
  env: { toObject(): Record<string, string> }
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown
}

const env = Deno.env.toObject() as unknown as RuntimeEnv & { PORT: string }
const app = createRuntimeApp(env)
Deno.serve(
  {
    port: Number(env.PORT),
    hostname: '127.0.0.1',
    onListen: () => console.log(`ready ${env.PORT}`),
  },
  (request) => app.fetch(request),
)
