/**
 * `oidc-session/redis`: the Redis session store, refresh lock and recent-result cache, for
 * `ioredis` and `node-redis` clients.
 *
 * @packageDocumentation
 */
export { toRedisClient } from './client.js'
export type { RedisClient, RedisClientInput, RedisClientOptions } from './client.js'
