/**
 * Starting an example from the environment: listen on `PORT` (loopback), say where, and stop
 * cleanly on SIGINT/SIGTERM.
 */
import type { Server } from 'node:http'
import type { ExampleEnv } from './auth.js'

/** Something that can stop listening. */
export interface Closable {
  close(): unknown
}

/**
 * Start an example: `start(env, port)` builds and listens; errors end the process with status 1.
 *
 * @param name the stack's name, for the log line
 * @param start builds the app from the environment and listens on `port`
 */
export function run(
  name: string,
  start: (env: ExampleEnv, port: number) => Promise<Closable>,
): void {
  const env = process.env as ExampleEnv
  const port = Number(env.PORT ?? 3000)
  start(env, port).then(
    (server) => {
      console.log(`${name} example listening on ${env.APP_URL ?? `http://127.0.0.1:${port}`}`)
      const stop = () => void Promise.resolve(server.close()).finally(() => process.exit(0))
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error))
      process.exit(1)
    },
  )
}

/** Listen with a `node:http` server on 127.0.0.1; `close()` also ends idle keep-alive connections. */
export function listen(server: Server, port: number): Promise<Closable> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () =>
      resolve({
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeIdleConnections()
          }),
      }),
    )
  })
}
