/**
 * One small client interface over `ioredis` (standalone and Cluster) and `node-redis` (v4/v5,
 * client and cluster), with a bounded timeout on every command: the Redis store, lock and result
 * cache are written against it, never against a client library.
 *
 * @module
 */
import { StoreUnavailableError } from '../../errors.js'

/** What the Redis pieces of oidc-session need. */
export interface RedisClient {
  /**
   * Send one command. `key` is the first key the command touches (cluster routing).
   * @throws `StoreUnavailableError` after the timeout or when the connection fails
   */
  command(key: string | undefined, args: readonly (string | number)[]): Promise<unknown>
  /**
   * Listen to a pub/sub channel on a dedicated connection (created on first use).
   * @returns a function that stops listening
   */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>
}

/** Options of {@link toRedisClient}. */
export interface RedisClientOptions {
  /** Milliseconds after which a command fails with `StoreUnavailableError`. Default 2 000. */
  timeoutMs?: number
}

/** The shape of an `ioredis` client or Cluster we use. */
interface IoredisLike {
  call(command: string, ...args: (string | number)[]): Promise<unknown>
  duplicate(): IoredisLike
  subscribe(channel: string): Promise<unknown>
  unsubscribe(channel: string): Promise<unknown>
  on(event: 'message', listener: (channel: string, message: string) => void): unknown
  on(event: 'error', listener: (error: unknown) => void): unknown
  off?(event: 'message', listener: (channel: string, message: string) => void): unknown
  status?: string
}

/** The shape of a `node-redis` client we use. */
interface NodeRedisLike {
  on?(event: 'error', listener: (error: unknown) => void): unknown
  sendCommand(args: string[]): Promise<unknown>
  duplicate(): NodeRedisLike
  connect(): Promise<unknown>
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>
  unsubscribe(channel: string, listener?: (message: string) => void): Promise<unknown>
  isOpen?: boolean
}

/** The shape of a `node-redis` cluster we use. */
interface NodeRedisClusterLike {
  on?(event: 'error', listener: (error: unknown) => void): unknown
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
  ): Promise<unknown>
  duplicate(): NodeRedisClusterLike
  connect(): Promise<unknown>
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>
  unsubscribe(channel: string, listener?: (message: string) => void): Promise<unknown>
  masters?: unknown
}

const isRedisClient = (c: unknown): c is RedisClient =>
  typeof (c as RedisClient).command === 'function' &&
  typeof (c as RedisClient).subscribe === 'function'
const isIoredis = (c: unknown): c is IoredisLike => typeof (c as IoredisLike).call === 'function'
const isNodeRedisCluster = (c: unknown): c is NodeRedisClusterLike =>
  typeof (c as NodeRedisClusterLike).sendCommand === 'function' && 'masters' in (c as object)
const isNodeRedis = (c: unknown): c is NodeRedisLike =>
  typeof (c as NodeRedisLike).sendCommand === 'function'

/** The client libraries accepted by {@link toRedisClient}. */
export type RedisClientInput = RedisClient | object

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailableError(`redis ${what} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    )
  })
  return Promise.race([promise, timeout])
    .catch((error: unknown) => {
      if (error instanceof StoreUnavailableError) throw error
      // Never echo the command (it may carry sealed session bytes): name the error only.
      const name = error instanceof Error ? error.name : 'error'
      throw new StoreUnavailableError(`redis ${what} failed (${name})`, { cause: error })
    })
    .finally(() => clearTimeout(timer))
}

/**
 * Wrap an `ioredis` client/Cluster or a `node-redis` client/cluster (connected by the caller) as a
 * {@link RedisClient}. A value that already is a `RedisClient` is returned as is.
 *
 * @param client the application's Redis client (oidc-session never creates or closes it)
 * @returns the wrapped client
 * @throws TypeError `ERR_INVALID_ARG_TYPE` for anything else
 * @example
 * ```ts
 * import Redis from 'ioredis'
 * const redis = toRedisClient(new Redis(process.env.REDIS_URL!))
 * ```
 */
export function toRedisClient(
  client: RedisClientInput,
  options: RedisClientOptions = {},
): RedisClient {
  const timeoutMs = options.timeoutMs ?? 2000
  const strings = (args: readonly (string | number)[]) => args.map(String)

  // Libraries first: ioredis also has a `command` method (Redis' COMMAND).
  if (isIoredis(client)) {
    let subscriber: IoredisLike | undefined
    const listeners = new Map<string, Set<(message: string) => void>>()
    return {
      command: (_key, args) => {
        const [name, ...rest] = strings(args)
        return withTimeout(client.call(name as string, ...rest), timeoutMs, 'command')
      },
      async subscribe(channel, listener) {
        if (!subscriber) {
          subscriber = client.duplicate()
          // Our own connection: its errors must never become an unhandled 'error' event.
          subscriber.on('error', () => undefined)
          subscriber.on('message', (ch, message) => {
            for (const l of listeners.get(ch) ?? []) l(message)
          })
        }
        let set = listeners.get(channel)
        if (!set) {
          set = new Set()
          listeners.set(channel, set)
          await withTimeout(subscriber.subscribe(channel), timeoutMs, 'subscribe')
        }
        set.add(listener)
        return async () => {
          set.delete(listener)
          if (set.size === 0 && listeners.get(channel) === set) {
            listeners.delete(channel)
            await subscriber?.unsubscribe(channel).catch(() => undefined)
          }
        }
      },
    }
  }

  if (isNodeRedis(client)) {
    const cluster = isNodeRedisCluster(client)
    let subscriber: Promise<NodeRedisLike | NodeRedisClusterLike> | undefined
    return {
      command: (key, args) =>
        withTimeout(
          cluster
            ? (client as NodeRedisClusterLike).sendCommand(key, false, strings(args))
            : (client as NodeRedisLike).sendCommand(strings(args)),
          timeoutMs,
          'command',
        ),
      async subscribe(channel, listener) {
        subscriber ??= (async () => {
          const dup = client.duplicate()
          dup.on?.('error', () => undefined)
          await dup.connect()
          return dup
        })()
        const sub = await withTimeout(subscriber, timeoutMs, 'subscribe')
        await withTimeout(sub.subscribe(channel, listener), timeoutMs, 'subscribe')
        return async () => {
          await sub.unsubscribe(channel, listener).catch(() => undefined)
        }
      },
    }
  }

  if (isRedisClient(client)) return client
  const error = new TypeError('expected an ioredis or node-redis client') as TypeError & {
    code: string
  }
  error.code = 'ERR_INVALID_ARG_TYPE'
  throw error
}
