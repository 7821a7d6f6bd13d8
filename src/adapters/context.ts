/**
 * What every framework adapter leaves on the request for the app's handlers (`req.oidc`,
 * `ctx.state.oidc`, `request.oidc`, `c.get('oidc')`): the outcome of `auth.authenticate()` /
 * `auth.protect()` without the `Set-Cookie` headers, which the adapter has already forwarded.
 * It imports no framework and no Node module (the Hono adapter runs on Web runtimes).
 *
 * @module
 */
import type {
  AuthFailureReason,
  AuthResult,
  ProtectResult,
  StepUpFailureReason,
} from '../session/types.js'

/**
 * The session of a request, or why there is none: `ok` tells which. Left by `authenticate()`
 * (login optional).
 *
 * @example
 * ```ts
 * const user = oidc.ok ? oidc.session.sub : null
 * ```
 */
export type OidcContext =
  | Omit<Extract<AuthResult, { ok: true }>, 'headers'>
  | (Omit<Extract<AuthResult, { ok: false }>, 'headers' | 'reason'> & {
      /** Why there is no session, or why `protect()` refused it (step-up). */
      reason: AuthFailureReason | StepUpFailureReason
    })

/**
 * The context of a protected request: the session is there. Left by `protect()`.
 *
 * @example
 * ```ts
 * res.json({ sub: req.oidc.session.sub }) // no `!` needed after protect
 * ```
 */
export type ProtectedOidcContext = Extract<OidcContext, { ok: true }>

/**
 * The context of a result: everything but the `Set-Cookie` headers (and `protect()`'s `response`).
 *
 * @param result an `authenticate()` or `protect()` result
 * @returns the {@link OidcContext}
 * @example
 * ```ts
 * req.oidc = toContext(await auth.authenticate(request))
 * ```
 * @internal
 */
export function toContext(
  result: Extract<AuthResult | ProtectResult, { ok: true }>,
): ProtectedOidcContext
export function toContext(result: AuthResult | ProtectResult): OidcContext
export function toContext(result: AuthResult | ProtectResult): OidcContext {
  if (result.ok) {
    const { session, reason, warning } = result
    return warning ? { ok: true, session, reason, warning } : { ok: true, session, reason }
  }
  const error = 'error' in result ? result.error : undefined
  return error
    ? { ok: false, session: null, reason: result.reason, error }
    : { ok: false, session: null, reason: result.reason }
}
