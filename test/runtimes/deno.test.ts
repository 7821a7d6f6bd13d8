/**
 * The core on deno: seal/open, login → refresh → logout against the real provider, through the
 * test app's `fetch` handler (see `support/smoke.ts`).
 */
import { smokeSuite } from './support/smoke.js'

smokeSuite('deno')
