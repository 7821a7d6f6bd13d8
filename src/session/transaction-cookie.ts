/**
 * The login transaction cookie: `state`, `nonce`, PKCE verifier and `returnTo`, sealed, short-lived,
 * one cookie per pending login (several tabs may log in at once), deleted when used.
 *
 * @module
 */
import type { CookieAttributes, CookieJar } from '../request/cookie-jar.js'
import type { Sealer } from './codec.js'

/** One pending login, as the callback needs it. */
export interface Transaction {
  state: string
  nonce: string
  codeVerifier: string
  /** Same-origin path to land on after login. */
  returnTo: string
  /** `max_age` requested, to check `auth_time`. */
  maxAge?: number
  /** `acr_values` requested (step-up): the returned `acr` must be one of them. */
  acrValues?: string[]
  /** A silent login (`prompt=none`): the provider needing the user is a normal outcome. */
  silent?: boolean
}

/** Names and attributes of the transaction cookies. */
export interface TransactionCookieOptions {
  /** Name prefix (`__Host-oidc_session_tx.`); the cookie is named after the state. */
  prefix: string
  attributes: CookieAttributes
}

/** Transactions live this long, seconds. */
export const TRANSACTION_SECONDS = 600
/** Most pending logins kept per browser; older transaction cookies are expired. */
const MAX_PENDING = 4

const str = (v: unknown): v is string => typeof v === 'string' && v !== ''

/** The cookie name for a transaction's `state` (a slice of it: it is random and already in the URL). */
function nameFor(options: TransactionCookieOptions, state: string): string {
  return `${options.prefix}${state.slice(0, 16).replace(/[^A-Za-z0-9_-]/g, '')}`
}

/** Seal `transaction` into a new cookie; expire the oldest pending ones past the limit. */
export async function writeTransaction(
  jar: CookieJar,
  options: TransactionCookieOptions,
  sealer: Sealer,
  transaction: Transaction,
  now: number,
): Promise<void> {
  const pending = jar.names().filter((name) => name.startsWith(options.prefix))
  for (const name of pending.slice(0, Math.max(0, pending.length - (MAX_PENDING - 1))))
    jar.expire(name, options.attributes)
  const sealed = await sealer.seal(
    {
      s: transaction.state,
      n: transaction.nonce,
      v: transaction.codeVerifier,
      r: transaction.returnTo,
      ...(transaction.maxAge !== undefined ? { m: transaction.maxAge } : {}),
      ...(transaction.acrValues !== undefined ? { a: transaction.acrValues } : {}),
      ...(transaction.silent ? { q: 1 } : {}),
    },
    now + TRANSACTION_SECONDS,
  )
  jar.set(nameFor(options, transaction.state), sealed, {
    ...options.attributes,
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
  options: TransactionCookieOptions,
  sealer: Sealer,
  state: string | null,
  now: number,
): Promise<Transaction | 'missing' | 'invalid'> {
  if (!state) return 'missing'
  const name = nameFor(options, state)
  const sealed = jar.get(name)
  if (sealed === undefined) return 'missing'
  jar.expire(name, options.attributes)
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
      ...(Array.isArray(t.a) && t.a.every(str) ? { acrValues: t.a } : {}),
      ...(t.q === 1 ? { silent: true } : {}),
    }
  } catch {
    return 'invalid'
  }
}
