/**
 * The core on bun: seal/open, login → refresh → logout against the real provider, through the
 * test app's `fetch` handler (see `support/smoke.ts`).
 */
import { smokeSuite } from './support/smoke.js'

smokeSuite('bun')
