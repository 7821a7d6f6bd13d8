/**
 * `oidc-session/redis`: the Redis session store, refresh lock and recent-result cache, for
 * `ioredis` and `node-redis` clients.
 *
 * @module oidc-session/redis
 */
export { toRedisClient } from './client.js'
export type { RedisClient, RedisClientInput, RedisClientOptions } from './client.js'
export { redisLock } from './lock.js'
export type { RedisLockOptions } from './lock.js'
export { redisResultCache } from './result-cache.js'
export type { RedisResultCacheOptions } from './result-cache.js'
export { redisStore } from './store.js'
export type { RedisStore, RedisStoreOptions } from './store.js'
export { redisReplayCache, redisRevocationList } from './revocation-list.js'
export type { RedisRevocationOptions } from './revocation-list.js'
