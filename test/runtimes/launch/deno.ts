/**
 * Deno launcher of the test app: `Deno.serve` on `127.0.0.1:$PORT`, the app's `fetch` with the
 * app's variables read one by one (so `--allow-env` can name them). Prints `listening <port>`
 * once bound.
 */
import app, { ENV_NAMES, type RuntimeEnv } from '../app.js'

// Only what this file uses of Deno's global (Deno's types are not a dependency).
declare const Deno: {
  readonly env: { get(name: string): string | undefined }
  readonly version: { readonly deno: string }
  serve(
    options: { hostname: string; port: number; onListen(address: { port: number }): void },
    handler: (request: Request) => Promise<Response>,
  ): unknown
}

const env: RuntimeEnv = {}
for (const name of ENV_NAMES) {
  const value = Deno.env.get(name)
  if (value !== undefined) env[name] = value
}

Deno.serve(
  {
    hostname: '127.0.0.1',
    port: Number(Deno.env.get('PORT')),
    onListen: ({ port }) => console.log(`listening ${port} deno ${Deno.version.deno}`),
  },
  (request) => app.fetch(request, env),
)
