/**
 * Where a token set stands in its life, as a pure function of `(tokens, now, options)`.
 *
 * @module
 */
import type { TokenSet } from './token-set.js'

/**
 * - `fresh`: usable, nothing to do;
 * - `due`: still usable but inside the refresh window, and refreshable: refresh now;
 * - `expired`: no longer usable, but refreshable;
 * - `unrefreshable`: no longer usable and no refresh token: the session is over;
 * - `refresh-expired`: no longer usable, and the refresh token has expired as the provider said
 *   (`refreshExpiresAt`): the session is over, and a token call would only fail.
 */
export type TokenState = 'fresh' | 'due' | 'expired' | 'unrefreshable' | 'refresh-expired'

/** Options of {@link tokenState}. */
export interface TokenStateOptions {
  /** Refresh this many seconds before expiry (at most half the token's lifetime). Default 60. */
  leewaySeconds?: number
  /**
   * Seconds the local clock may be behind the provider's. The token counts as expired this much
   * earlier (never later: an access token must not be sent after it expired), at most a quarter of
   * the token's lifetime. Default 0.
   */
  clockToleranceSeconds?: number
}

/**
 * The moments that matter for `tokens`: from `dueAt` on it should be refreshed, from `expiredAt`
 * on it must not be used. `undefined` when the provider gave no expiry (the token never expires
 * as far as we know).
 *
 * The refresh window (leeway + clock tolerance) and the tolerance itself are bounded by the access
 * token's lifetime (`expiresAt - issuedAt`): the window by half of it, the tolerance by a quarter.
 * A 4-second token is due after 2 s and treated as expired after 3 s; a one-hour token with the
 * defaults is due 90 s and expired 30 s before its `exp`. Without `issuedAt` (sessions written by
 * older versions) the lifetime is unknown and the bounds do not apply.
 *
 * @param tokens the session's tokens
 * @param options leeway and clock tolerance (see {@link TokenStateOptions})
 * @returns `{ dueAt, expiredAt }` in seconds since the epoch, or `undefined`
 * @example
 * ```ts
 * tokenDeadlines({ accessToken: 'a', tokenType: 'Bearer', issuedAt: 1000, expiresAt: 1004 }) // { dueAt: 1002, expiredAt: 1003 }
 * ```
 */
export function tokenDeadlines(
  tokens: Pick<TokenSet, 'expiresAt' | 'issuedAt'>,
  options: TokenStateOptions = {},
): { dueAt: number; expiredAt: number } | undefined {
  const { expiresAt, issuedAt } = tokens
  if (expiresAt === undefined) return undefined
  const leeway = Math.max(0, options.leewaySeconds ?? 60)
  const tolerance = Math.max(0, options.clockToleranceSeconds ?? 0)
  const lifetime =
    issuedAt !== undefined && Number.isFinite(issuedAt) && expiresAt > issuedAt
      ? expiresAt - issuedAt
      : Infinity
  return {
    dueAt: expiresAt - Math.min(leeway + tolerance, lifetime / 2),
    expiredAt: expiresAt - Math.min(tolerance, lifetime / 4),
  }
}

/**
 * `true` when the refresh token of `tokens` has expired at `now`, as the provider said when it
 * issued it (`refreshExpiresAt`). Like the access token, it counts as expired up to
 * `clockToleranceSeconds` early (at most a quarter of its known lifetime), never late: a refresh
 * that the provider would answer `invalid_grant` is never attempted.
 *
 * @param tokens the session's tokens
 * @param now seconds since the epoch
 * @param options the clock tolerance (see {@link TokenStateOptions})
 * @returns whether the refresh token is past its expiry; `false` when the provider gave none
 * @example
 * ```ts
 * refreshTokenExpired({ accessToken: 'a', tokenType: 'Bearer', refreshToken: 'r', refreshExpiresAt: 1000 }, 1000) // true
 * ```
 */
export function refreshTokenExpired(
  tokens: Pick<TokenSet, 'refreshExpiresAt' | 'issuedAt'>,
  now: number,
  options: TokenStateOptions = {},
): boolean {
  const { refreshExpiresAt, issuedAt } = tokens
  if (refreshExpiresAt === undefined) return false
  if (!Number.isFinite(refreshExpiresAt)) return true
  const tolerance = Math.max(0, options.clockToleranceSeconds ?? 0)
  const lifetime =
    issuedAt !== undefined && Number.isFinite(issuedAt) && refreshExpiresAt > issuedAt
      ? refreshExpiresAt - issuedAt
      : Infinity
  return now >= refreshExpiresAt - Math.min(tolerance, lifetime / 4)
}

/**
 * Classify `tokens` at time `now`. An empty access token or a non-finite `expiresAt` (corrupt
 * state) counts as expired. A refresh token past its `refreshExpiresAt` (see
 * {@link refreshTokenExpired}) is as good as none: the access token is served while it is valid
 * (never refreshed early), then the state is `refresh-expired`. The refresh window scales with the token's lifetime (see
 * {@link tokenDeadlines}), so a short-lived token is not refreshed by every request.
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
  const hasRefreshToken = typeof tokens.refreshToken === 'string' && tokens.refreshToken !== ''
  const refreshDead = hasRefreshToken && refreshTokenExpired(tokens, now, options)
  const refreshable = hasRefreshToken && !refreshDead
  const over = refreshDead ? 'refresh-expired' : 'unrefreshable'
  // An empty access token or a corrupt expiry is not usable: refresh it if possible.
  const usable =
    typeof tokens.accessToken === 'string' &&
    tokens.accessToken !== '' &&
    (tokens.expiresAt === undefined || Number.isFinite(tokens.expiresAt))
  if (!usable) return refreshable ? 'expired' : over
  const deadlines = tokenDeadlines(tokens, options)
  if (deadlines === undefined) return 'fresh'
  if (now >= deadlines.expiredAt) return refreshable ? 'expired' : over
  if (refreshable && now >= deadlines.dueAt) return 'due'
  return 'fresh'
}
