/**
 * `examples/next-edge` (Edge `middleware.ts`, cookie store) under `next start`, against the real
 * provider. What holds on Edge: login, protection, single-flight refresh per isolate, forwarding to
 * the Node.js pages and routes, logout. What does not: a back-channel logout cannot reach other
 * isolates, so the provider is answered 400 instead of a silent 200.
 */
import { afterAll, beforeAll } from 'vitest'
import { startProvider, type TestProvider } from '../fixtures/provider.js'
import { describeContract } from './next-contract.js'
import {
  BUILD_TIMEOUT,
  buildExample,
  PROVIDER_OPTIONS,
  startExample,
  type NextExample,
} from './next-support.js'

let provider: TestProvider
let app: NextExample

beforeAll(async () => {
  await buildExample('next-edge')
  provider = await startProvider(PROVIDER_OPTIONS)
  app = await startExample(provider, 'next-edge')
}, BUILD_TIMEOUT)

afterAll(async () => {
  await app?.close()
  await provider?.close()
})

describeContract({
  name: 'next-edge (Edge middleware, cookie store)',
  provider: () => provider,
  app: () => app,
  backchannel: 'refused',
})
