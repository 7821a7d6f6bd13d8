/**
 * Where a token set stands in its life, as a pure function of `(tokens, now, options)`.
 *
 * @module
 */
import type { TokenSet } from './token-set.js'

/**
 * - `fresh`: usable, nothing to do;
 * - `due`: still usable but inside the refresh leeway, and refreshable: refresh now;
 * - `expired`: no longer usable, but refreshable;
 * - `unrefreshable`: no longer usable and no refresh token: the session is over.
 */
export type TokenState = 'fresh' | 'due' | 'expired' | 'unrefreshable'

/** Options of {@link tokenState}. */
export interface TokenStateOptions {
  /** Refresh this many seconds before expiry. Default 60. */
  leewaySeconds?: number
  /**
   * Seconds the local clock may be ahead of the provider's. The token counts as expired this much
   * earlier (never later: an access token must not be sent after it expired). Default 0.
   */
  clockToleranceSeconds?: number
}

/**
 * Classify `tokens` at time `now`. An empty access token or a non-finite `expiresAt` (corrupt
 * state) counts as expired.
 *
 * @param tokens the session's tokens
 * @param now seconds since the epoch
 * @param options leeway and clock tolerance (see {@link TokenStateOptions})
 * @returns the {@link TokenState}
 * @example
 * ```ts
 * tokenState({ accessToken: 'a', tokenType: 'bearer', expiresAt: 1030, refreshToken: 'r' }, 1000) // 'due'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 (`expires_in`)
 */
export function tokenState(
  tokens: TokenSet,
  now: number,
  options: TokenStateOptions = {},
): TokenState {
  const refreshable = typeof tokens.refreshToken === 'string' && tokens.refreshToken !== ''
  // An empty access token or a corrupt expiry is not usable: refresh it if possible.
  const usable =
    typeof tokens.accessToken === 'string' &&
    tokens.accessToken !== '' &&
    (tokens.expiresAt === undefined || Number.isFinite(tokens.expiresAt))
  if (!usable) return refreshable ? 'expired' : 'unrefreshable'
  if (tokens.expiresAt === undefined) return 'fresh'
  const expiresAt = tokens.expiresAt - (options.clockToleranceSeconds ?? 0)
  if (now >= expiresAt) return refreshable ? 'expired' : 'unrefreshable'
  if (refreshable && now >= expiresAt - (options.leewaySeconds ?? 60)) return 'due'
  return 'fresh'
}
