/**
 * The login transaction cookie: `state`, `nonce`, PKCE verifier and `returnTo`, sealed, short-lived,
 * one cookie per pending login (several tabs may log in at once), deleted when used.
 *
 * @module
 */
import type { ResolvedConfig } from '../config.js'
import type { Transaction } from '../oidc/authorize.js'
import type { CookieAttributes, CookieJar } from '../request/cookie-jar.js'
import type { Sealer } from './codec.js'

/** Transactions live this long, seconds. */
export const TRANSACTION_SECONDS = 600
/** Most pending logins kept per browser; older transaction cookies are expired. */
const MAX_PENDING = 4

const str = (v: unknown): v is string => typeof v === 'string' && v !== ''

/** Names and attributes of the transaction cookies. */
export function transactionCookies(config: ResolvedConfig): {
  prefix: string
  nameFor(state: string): string
  attributes: CookieAttributes
} {
  const prefix = `${config.cookies.prefix}${config.cookies.name}_tx.`
  return {
    prefix,
    // The state is random and already in the URL; a slice of it names the cookie.
    nameFor: (state) => `${prefix}${state.slice(0, 16).replace(/[^A-Za-z0-9_-]/g, '')}`,
    attributes: {
      httpOnly: true,
      secure: config.cookies.secure,
      // The provider redirects back with a top-level GET: Lax is the strictest that works.
      sameSite: config.cookies.sameSite === 'none' ? 'none' : 'lax',
      path: config.cookies.path,
      domain: config.cookies.domain,
    },
  }
}

/** Seal `transaction` into a new cookie; expire the oldest pending ones past the limit. */
export async function writeTransaction(
  jar: CookieJar,
  config: ResolvedConfig,
  sealer: Sealer,
  transaction: Transaction,
  now: number,
): Promise<void> {
  const names = transactionCookies(config)
  const pending = jar.names().filter((name) => name.startsWith(names.prefix))
  for (const name of pending.slice(0, Math.max(0, pending.length - (MAX_PENDING - 1))))
    jar.expire(name, names.attributes)
  const sealed = await sealer.seal(
    {
      s: transaction.state,
      n: transaction.nonce,
      v: transaction.codeVerifier,
      r: transaction.returnTo,
      ...(transaction.maxAge !== undefined ? { m: transaction.maxAge } : {}),
    },
    now + TRANSACTION_SECONDS,
  )
  jar.set(names.nameFor(transaction.state), sealed, {
    ...names.attributes,
    maxAge: TRANSACTION_SECONDS,
  })
}

/**
 * Find, open and expire the transaction for `state`.
 *
 * @returns the transaction, `'missing'` (no cookie) or `'invalid'` (does not open)
 */
export async function takeTransaction(
  jar: CookieJar,
  config: ResolvedConfig,
  sealer: Sealer,
  state: string | null,
  now: number,
): Promise<Transaction | 'missing' | 'invalid'> {
  if (!state) return 'missing'
  const names = transactionCookies(config)
  const name = names.nameFor(state)
  const sealed = jar.get(name)
  if (sealed === undefined) return 'missing'
  jar.expire(name, names.attributes)
  try {
    const { value } = await sealer.unseal(sealed, now)
    const t = value as Record<string, unknown>
    if (!str(t.s) || !str(t.n) || !str(t.v) || !str(t.r)) return 'invalid'
    return {
      state: t.s,
      nonce: t.n,
      codeVerifier: t.v,
      returnTo: t.r,
      ...(typeof t.m === 'number' ? { maxAge: t.m } : {}),
    }
  } catch {
    return 'invalid'
  }
}
