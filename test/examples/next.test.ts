/**
 * `examples/next` (Next.js 16 proxy on the Node runtime) under `next start`, against the real
 * provider: with the cookie store, and with `SESSION_STORE=redis` + `REDIS_URL` (Redis also holds
 * the refresh lock, the result cache and the revocation list).
 */
import { afterAll, beforeAll } from 'vitest'
import { startProvider, type TestProvider } from '../fixtures/provider.js'
import { startRedis, type TestRedis } from '../fixtures/redis.js'
import { describeContract } from './next-contract.js'
import {
  BUILD_TIMEOUT,
  buildExample,
  PROVIDER_OPTIONS,
  startExample,
  type NextExample,
} from './next-support.js'

let provider: TestProvider
let redis: TestRedis
let cookieApp: NextExample
let redisApp: NextExample

beforeAll(async () => {
  await buildExample('next')
  provider = await startProvider(PROVIDER_OPTIONS)
  redis = await startRedis()
  ;[cookieApp, redisApp] = await Promise.all([
    startExample(provider, 'next', { store: 'cookie' }),
    startExample(provider, 'next', { store: 'redis', redisUrl: redis.url }),
  ])
}, BUILD_TIMEOUT)

afterAll(async () => {
  await Promise.all([cookieApp?.close(), redisApp?.close()])
  await provider?.close()
  await redis?.close()
})

describeContract({
  name: 'next (cookie store)',
  provider: () => provider,
  app: () => cookieApp,
  backchannel: 'delivered',
})

describeContract({
  name: 'next (SESSION_STORE=redis)',
  provider: () => provider,
  app: () => redisApp,
  redisUrl: () => redis.url,
  backchannel: 'delivered',
})
