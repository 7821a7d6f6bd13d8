/** Test-only clock (see `lib/test-clock.ts`): 404 unless `EXAMPLE_TEST_CLOCK=1`. */
import { setTestClock } from '../../lib/test-clock'

export const dynamic = 'force-dynamic'

export const POST = (request: Request): Promise<Response> => setTestClock(request)
