/**
 * Bun launcher of the test app: `Bun.serve` on `127.0.0.1:$PORT`, the app's `fetch` with
 * `Bun.env`. Prints `listening <port>` once bound.
 */
import app from '../app.js'

// Only what this file uses of Bun's global (bun-types is not a dependency).
declare const Bun: {
  readonly env: Record<string, string | undefined>
  readonly version: string
  serve(options: { hostname: string; port: number; fetch(request: Request): Promise<Response> }): {
    readonly port: number
  }
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(Bun.env.PORT),
  fetch: (request) => app.fetch(request, Bun.env),
})
console.log(`listening ${server.port} bun ${Bun.version}`)
