/**
 * What every example shares (environment, `OidcSession`, pages, start-up); each stack's `app.ts`
 * holds only its framework glue.
 */
export {
  createAuth,
  createRedisStore,
  providerFromEnv,
  type AuthOverrides,
  type ExampleEnv,
} from './auth.js'
export { homePage, me, NO_STORE, userinfo } from './pages.js'
export { listen, run, type Closable } from './serve.js'
