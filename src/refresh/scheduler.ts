/**
 * The refresh scheduler: single-flight in process, a recent-result cache for late requests that
 * still carry a consumed refresh token, and back-off after transient failures.
 *
 * @module
 */
import { base64url } from 'jose'
import { OidcSessionError } from '../errors.js'
import { refreshTokens } from '../oidc/refresh.js'
import type { ProviderContext } from '../oidc/provider.js'
import type { TokenSet } from '../tokens/token-set.js'
import type { RefreshLock } from './lock.js'
import { memoryResultCache, type ResultCache } from './result-cache.js'
import { SingleFlight } from './single-flight.js'

/** Outcome of a refresh. */
export interface RefreshOutcome {
  tokens: TokenSet
  /** `provider`: this call refreshed; `cache`: a recent refresh of the same token was reused. */
  source: 'provider' | 'cache'
}

/** Options of {@link createRefreshScheduler}. */
export interface RefreshSchedulerOptions {
  context: ProviderContext
  cache?: ResultCache
  lock?: RefreshLock
  /** How long a result stays reusable, seconds. Default 60. */
  resultTtlSeconds?: number
}

const encoder = new TextEncoder()

/** SHA-256 of the refresh token and every request parameter: the single-flight and cache key. */
export async function refreshKey(
  refreshToken: string,
  parameters: Record<string, string> = {},
): Promise<string> {
  const canonical = JSON.stringify([
    refreshToken,
    Object.entries(parameters).sort(([a], [b]) => (a < b ? -1 : 1)),
  ])
  return base64url.encode(
    new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(canonical))),
  )
}

/** Refreshes token sets, once per grant however many callers ask at once. */
export interface RefreshScheduler {
  /**
   * @throws `RefreshRejectedError` (session over), `ProviderUnavailableError` (transient, backed off)
   */
  refresh(tokens: TokenSet, parameters?: Record<string, string>): Promise<RefreshOutcome>
}

/** Create a {@link RefreshScheduler}. */
export function createRefreshScheduler(options: RefreshSchedulerOptions): RefreshScheduler {
  const { context } = options
  const now = context.config.now
  const cache = options.cache ?? memoryResultCache(10_000, now)
  const ttl = options.resultTtlSeconds ?? 60
  const flights = new SingleFlight<RefreshOutcome>()
  // Transient failures: the same error is answered until the back-off ends.
  const failures = new Map<string, { until: number; attempts: number; error: OidcSessionError }>()

  async function fromProvider(
    key: string,
    tokens: TokenSet,
    parameters?: Record<string, string>,
  ): Promise<RefreshOutcome> {
    const cached = await cache.get(key)
    if (cached) return { tokens: cached, source: 'cache' }
    const failed = failures.get(key)
    if (failed && failed.until > now()) throw failed.error
    try {
      const next = await refreshTokens(context, tokens, Math.floor(now() / 1000), parameters)
      failures.delete(key)
      await cache.set(key, next, ttl)
      return { tokens: next, source: 'provider' }
    } catch (error) {
      if (error instanceof OidcSessionError && error.transient) {
        const attempts = (failed?.attempts ?? 0) + 1
        failures.delete(key)
        failures.set(key, {
          until: now() + Math.min(30_000, 500 * 2 ** (attempts - 1)),
          attempts,
          error,
        })
        if (failures.size > 10_000) failures.delete(failures.keys().next().value as string)
      }
      throw error
    }
  }

  return {
    async refresh(tokens, parameters) {
      if (!tokens.refreshToken) return fromProvider('', tokens, parameters)
      const key = await refreshKey(tokens.refreshToken, parameters)
      return flights.run(key, () => fromProvider(key, tokens, parameters))
    },
  }
}
