/**
 * DPoP (RFC 9449): one ES256 key pair per session, its private key sealed under a key derived
 * from the app's secrets, proofs signed by `oauth4webapi`'s DPoP handle, and server-provided nonces
 * shared by every session's handle.
 *
 * Why the private key is sealed on its own, inside a session that is sealed already: the session's
 * own seal is opened by whatever can read the session (for the Redis store, the ticket in the
 * browser's cookie; for the memory store, nothing at all). The key's seal needs the app's secrets
 * too, so a copy of a session — a Redis dump with a stolen ticket, a logged session object, a
 * token in an upstream's log — yields sender-constrained tokens that nobody can present without the
 * gateway's secrets. The public key needs no storage of its own: it is part of the sealed JWK.
 *
 * @module
 */
import { exportJWK, generateKeyPair, importJWK } from 'jose'
import * as oauth from 'oauth4webapi'
import { SealError } from '../errors.js'
import { BoundedMap } from '../lib/bounded-map.js'
import { createSealer } from '../session/codec.js'
import type { ProviderContext } from './provider.js'

/** The JWS algorithm of every session key. ES256 is the one algorithm every DPoP provider lists. */
export const DPOP_ALGORITHM = 'ES256'

/** A session's DPoP key, ready to sign proofs. */
export interface DpopKey {
  /** `oauth4webapi`'s handle: pass it as the `DPoP` option of any request function. */
  readonly handle: oauth.DPoPHandle
  /** The JWK SHA-256 thumbprint of the public key (RFC 7638), the tokens' `cnf.jkt`. */
  thumbprint(): Promise<string>
}

/** Creates, seals and opens sessions' DPoP keys. */
export interface DpopKeys {
  /**
   * A new key pair for a session, and its sealed form for the session.
   *
   * @param expiresAt seconds since the epoch after which the sealed key no longer opens (the
   *   session's own end)
   * @returns the key and its sealed form
   */
  create(expiresAt: number): Promise<{ key: DpopKey; sealed: string }>
  /**
   * Open a sealed key (cached by its exact sealed string).
   *
   * @param sealed what {@link create} returned
   * @param now seconds since the epoch
   * @returns the key
   * @throws {@link SealError} `ERR_SEAL_INVALID` for a key that does not open
   */
  open(sealed: string, now: number): Promise<DpopKey>
}

/** Most opened keys kept in memory (by sealed string). */
const CACHE_SIZE = 1_000

const str = (value: unknown): value is string => typeof value === 'string' && value !== ''

/**
 * Create the {@link DpopKeys} of one configuration.
 *
 * @param context the provider (its client's clock skew; its shared {@link DpopNonces})
 * @param secrets the app's secrets (current first), as for the session cookie
 * @returns the key factory
 * @example
 * ```ts
 * const keys = createDpopKeys(context, ['a secret of at least 32 characters…'])
 * const { key, sealed } = await keys.create(session.expiresAt)
 * await oauth.userInfoRequest(as, client, accessToken, { DPoP: key.handle })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449
 */
export function createDpopKeys(context: ProviderContext, secrets: readonly string[]): DpopKeys {
  const sealer = createSealer(secrets, 'dpop')
  // Opened keys by their exact sealed form, with the seal's own expiry (checked on every hit).
  const opened = new BoundedMap<string, Promise<{ key: DpopKey; expiresAt: number }>>(CACHE_SIZE)
  const nonces = context.dpopNonces
  // Proofs carry the newest nonce any session learned for the target origin.
  const options: oauth.ModifyAssertionOptions = {
    [oauth.modifyAssertion]: (_header, payload) => {
      if (typeof payload.htu !== 'string') return
      try {
        const nonce = nonces.get(new URL(payload.htu).origin)
        if (nonce !== undefined) payload.nonce = nonce
      } catch {
        // oauth4webapi always sets a valid htu
      }
    },
  }

  const keyOf = (pair: CryptoKeyPair): DpopKey => {
    let thumbprint: Promise<string> | undefined
    const handle = oauth.DPoP(context.client, pair, options)
    return { handle, thumbprint: () => (thumbprint ??= handle.calculateThumbprint()) }
  }

  async function importPair(jwk: { d: string; x: string; y: string }): Promise<CryptoKeyPair> {
    const base = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }
    const [privateKey, publicKey] = await Promise.all([
      importJWK({ ...base, d: jwk.d }, DPOP_ALGORITHM, { extractable: false }),
      importJWK(base, DPOP_ALGORITHM, { extractable: true }),
    ])
    return { privateKey: privateKey as CryptoKey, publicKey: publicKey as CryptoKey }
  }

  return {
    async create(expiresAt) {
      const generated = await generateKeyPair(DPOP_ALGORITHM, { extractable: true })
      const jwk = await exportJWK(generated.privateKey)
      if (!str(jwk.d) || !str(jwk.x) || !str(jwk.y)) throw new TypeError('unexpected EC JWK')
      const sealed = await sealer.seal({ d: jwk.d, x: jwk.x, y: jwk.y, e: expiresAt }, expiresAt)
      // Signing needs no extractable private key: use an imported copy, as `open` would.
      const pair = await importPair({ d: jwk.d, x: jwk.x, y: jwk.y })
      const key = keyOf(pair)
      opened.set(sealed, Promise.resolve({ key, expiresAt }))
      return { key, sealed }
    },

    async open(sealed, now) {
      let entry = opened.get(sealed)
      if (!entry) {
        entry = openSealed(sealed, now)
        opened.set(sealed, entry)
        const current = entry
        entry.catch(() => {
          if (opened.get(sealed) === current) opened.delete(sealed)
        })
      }
      const { key, expiresAt } = await entry
      if (expiresAt <= now) throw new SealError('the DPoP key has expired')
      return key
    },
  }

  async function openSealed(
    sealed: string,
    now: number,
  ): Promise<{ key: DpopKey; expiresAt: number }> {
    let value: unknown
    try {
      ;({ value } = await sealer.unseal(sealed, now))
    } catch (error) {
      throw error instanceof SealError ? error : new SealError('the DPoP key does not open')
    }
    const v = value as Record<string, unknown> | null
    if (v === null || typeof v !== 'object' || !str(v.d) || !str(v.x) || !str(v.y))
      throw new SealError('the DPoP key does not open')
    if (typeof v.e !== 'number') throw new SealError('the DPoP key does not open')
    try {
      const pair = await importPair({ d: v.d, x: v.x, y: v.y })
      return { key: keyOf(pair), expiresAt: v.e }
    } catch {
      throw new SealError('the DPoP key does not open')
    }
  }
}

/**
 * Run a DPoP-signed request and, when the server answers `use_dpop_nonce` (RFC 9449 §8, §9), run
 * it once more: the handle (and the shared {@link DpopNonces}) learned the nonce from that answer.
 * Without a handle, `attempt` runs once.
 *
 * @param dpop the key used, if any
 * @param attempt the request and the processing of its response
 * @returns what `attempt` returns
 * @throws whatever `attempt` throws (the second time, for a nonce error)
 * @example
 * ```ts
 * const result = await withDpopNonceRetry(key, async () =>
 *   oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, rt, { DPoP: key.handle })),
 * )
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8
 */
export async function withDpopNonceRetry<T>(
  dpop: DpopKey | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  if (dpop === undefined) return attempt()
  try {
    return await attempt()
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error
    return attempt()
  }
}
