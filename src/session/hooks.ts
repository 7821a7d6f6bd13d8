/**
 * Application hooks: what goes into a new session, and what happens on every write.
 *
 * @module
 */
import type { IdTokenClaims, TokenResponse } from '../tokens/claims.js'
import type { Session, SessionData } from './session.js'

/**
 * Hooks that shape sessions (`hooks` option of `createOidcSession`). Unlike `events`, what they
 * throw is not swallowed: it stops the operation.
 *
 * @typeParam TData the application data kept in sessions (`Session.data`)
 */
export interface SessionHooks<TData extends SessionData = SessionData> {
  /**
   * Runs once per login, after the code exchange and the id_token's validation, before the new
   * session is saved. Set `session.data` (application data), drop what the session should not
   * keep (`delete session.tokens.idToken` drops the id_token's claims, and with them the
   * `id_token_hint` of logout), or refuse the login: throw an `AccessDeniedError` (a `403` page or
   * JSON). Return nothing to keep `session` as changed, or a session to store instead (its `id`,
   * `sub`, `version`, `createdAt` and `expiresAt` are kept from `session`).
   *
   * @param session the new session (not yet saved)
   * @param tokens the token endpoint's response (holds tokens: never log it)
   * @param claims the id_token's validated claims
   */
  onCallback?(
    session: Session<TData>,
    tokens: TokenResponse,
    claims: IdTokenClaims,
  ): void | Session<TData> | Promise<void | Session<TData>>
  /**
   * Runs before every write of a session (login, refresh, touch, `updateSession`): change
   * `session.data` in place (a last-updated stamp, a size cap). A throw fails the write.
   *
   * @param session the session about to be written
   */
  beforeSave?(session: Session<TData>): void | Promise<void>
}
