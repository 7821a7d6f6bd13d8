/**
 * Validation of a back-channel `logout_token` (OpenID Connect Back-Channel Logout 1.0 §2.6), with
 * `jose` against the provider's JWKS.
 *
 * @module
 */
import {
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
} from 'jose'
import { LogoutTokenError, ProviderUnavailableError } from '../errors.js'
import { safeCause, type ProviderContext } from './provider.js'

/** The event member a logout token must carry. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** What a valid logout token says. */
export interface LogoutTokenClaims {
  iss: string
  /** The user, when the token names one. */
  sub?: string
  /** The provider session, when the token names one. */
  sid?: string
  jti: string
  /** Seconds since the epoch. */
  iat: number
  /** Seconds since the epoch. */
  exp: number
}

/** Options of {@link createLogoutTokenVerifier}. */
export interface LogoutTokenVerifierOptions {
  /** Oldest `iat` accepted, in seconds before now. Default 600. */
  maxAgeSeconds?: number
}

/** Validates logout tokens for one provider and client. */
export interface LogoutTokenVerifier {
  /**
   * Validate `token` exactly as §2.6 says (the caller claims its `jti` in a replay cache).
   *
   * @throws {@link LogoutTokenError} `ERR_LOGOUT_TOKEN_INVALID` for any failed check (forged,
   *   expired, replayed, wrong audience or issuer, no `events`, no `sub`/`sid`, a `nonce`…)
   * @throws `ProviderUnavailableError` / `DiscoveryError` (transient) when the provider's metadata
   *   or JWKS cannot be fetched
   */
  verify(token: string): Promise<LogoutTokenClaims>
}

/**
 * Accepted `typ` values: `logout+jwt` (RECOMMENDED by §2.4), and `JWT`, which Keycloak up to 24 and
 * Authentik before 2025.12 send. Nothing else: the `events` claim and the absence of `nonce` still
 * tell a logout token from an id_token.
 */
const TYP = /^(?:application\/)?(?:logout\+jwt|jwt)$/i

/** Refuse the token. The message says why; no `cause` (jose's errors carry the token's claims). */
function fail(message: string): never {
  throw new LogoutTokenError(`invalid logout_token: ${message}`)
}

/**
 * Create the verifier of back-channel logout tokens for `context`'s provider and client.
 *
 * Checks, in order (§2.6): a signed compact JWS (an encrypted token is refused: this library
 * registers no encryption key); `alg` as for ID Tokens (`client.idTokenSignedResponseAlg`, else
 * the asymmetric algorithms of the provider's `id_token_signing_alg_values_supported`, else
 * `RS256`); the signature against the JWKS at the discovered `jwks_uri` (fetched with the library's
 * fetch, plain HTTP only under `http.allowInsecureRequests`); `typ`, when present, `logout+jwt`;
 * `iss` = the issuer; `aud` contains the client id, and has other members only with `azp` = the
 * client id; `azp`, when present, the client id; `iat` present and not older than
 * `maxAgeSeconds`; `exp` present and not past (both with `clockToleranceSeconds`); `jti` present;
 * `events` holding the back-channel logout event as a JSON object; `sub` or `sid` present; no
 * `nonce`. The `jti` replay check is the caller's (`createBackchannelLogout` claims it around the
 * work, so that a failed logout can be retried with the same token).
 *
 * @param context the provider context
 * @param options see {@link LogoutTokenVerifierOptions}
 * @returns a {@link LogoutTokenVerifier}
 * @example
 * ```ts
 * const verifier = createLogoutTokenVerifier(context, { maxAgeSeconds: 600 })
 * const { sid, sub } = await verifier.verify(form.get('logout_token')!)
 * ```
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#Validation
 */
export function createLogoutTokenVerifier(
  context: ProviderContext,
  options: LogoutTokenVerifierOptions = {},
): LogoutTokenVerifier {
  const config = context.options
  const maxAgeSeconds = options.maxAgeSeconds ?? 600
  const configured = config.client.idTokenSignedResponseAlg
  let jwks: { uri: string; set: ReturnType<typeof createRemoteJWKSet> } | undefined

  async function keySet() {
    const as = await context.metadata()
    const uri = as.jwks_uri
    if (!uri) throw new ProviderUnavailableError('the provider advertises no jwks_uri')
    const algorithms = acceptedAlgorithms(configured, as.id_token_signing_alg_values_supported)
    if (jwks?.uri === uri) return { issuer: as.issuer, keys: jwks.set, algorithms }
    const url = new URL(uri)
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && config.allowInsecureRequests)) {
      throw new ProviderUnavailableError(
        'the provider jwks_uri is not https (see "http.allowInsecureRequests")',
      )
    }
    const fetchImpl = config.fetch
    const set = createRemoteJWKSet(url, {
      timeoutDuration: config.timeoutMs,
      ...(fetchImpl ? { [customFetch]: (input, init) => fetchImpl(input, init) } : {}),
    })
    jwks = { uri, set }
    return { issuer: as.issuer, keys: set, algorithms }
  }

  return {
    async verify(token) {
      if (typeof token !== 'string' || token === '') fail('missing')
      const parts = token.split('.')
      if (parts.length === 5) fail('encrypted logout tokens are not supported')
      if (parts.length !== 3) fail('not a compact JWS')
      let typ: unknown
      try {
        typ = decodeProtectedHeader(token).typ
      } catch {
        fail('malformed header')
      }
      if (typ !== undefined && (typeof typ !== 'string' || !TYP.test(typ)))
        fail('"typ" is neither logout+jwt nor JWT')

      const { issuer, keys, algorithms } = await keySet()
      let payload: JWTPayload
      try {
        ;({ payload } = await jwtVerify(token, keys, {
          algorithms,
          issuer,
          audience: config.client.id,
          requiredClaims: ['iat', 'exp', 'jti'],
          clockTolerance: config.clockToleranceSeconds,
          maxTokenAge: maxAgeSeconds + config.clockToleranceSeconds,
          currentDate: new Date(config.now()),
        }))
      } catch (error) {
        if (error instanceof joseErrors.JWKSTimeout)
          throw new ProviderUnavailableError('fetching the provider JWKS timed out', {
            cause: safeCause(error),
          })
        if (error instanceof joseErrors.JOSEError) fail(describeJose(error))
        throw new ProviderUnavailableError('fetching the provider JWKS failed', {
          cause: safeCause(error),
        })
      }

      // As for ID tokens (OpenID Connect Core §3.1.3.7): several audiences only with the client as
      // the authorized party, and an `azp`, when present, naming the client.
      const { aud, azp } = payload as JWTPayload & { azp?: unknown }
      if (Array.isArray(aud) && aud.length !== 1 && azp === undefined)
        fail('"aud" lists other audiences and there is no "azp"')
      if (azp !== undefined && azp !== config.client.id) fail('"azp" names another client')
      const iat = payload.iat
      if (
        typeof iat !== 'number' ||
        iat > Math.floor(config.now() / 1000) + config.clockToleranceSeconds
      )
        fail('"iat" is in the future')
      const events = payload.events
      if (typeof events !== 'object' || events === null || Array.isArray(events))
        fail('no "events"')
      const event = (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT]
      if (typeof event !== 'object' || event === null || Array.isArray(event))
        fail('"events" has no back-channel logout event object')
      const { sub, sid, jti, nonce } = payload as JWTPayload & { sid?: unknown; nonce?: unknown }
      if (sub !== undefined && (typeof sub !== 'string' || sub === '')) fail('"sub" is invalid')
      if (sid !== undefined && (typeof sid !== 'string' || sid === '')) fail('"sid" is invalid')
      if (sub === undefined && sid === undefined) fail('neither "sub" nor "sid"')
      if (nonce !== undefined) fail('a logout token must not contain "nonce"')
      if (typeof jti !== 'string' || jti === '') fail('"jti" is invalid')

      const exp = payload.exp as number
      const iss = payload.iss as string
      return {
        iss,
        ...(sub !== undefined ? { sub } : {}),
        ...(typeof sid === 'string' ? { sid } : {}),
        jti,
        iat,
        exp,
      }
    },
  }
}

/**
 * The `alg`s a logout token may use, chosen as for ID tokens (§2.6 step 3, as `oauth4webapi`
 * chooses for the code exchange): the client's registered `id_token_signed_response_alg`, else
 * the asymmetric algorithms the provider advertises for ID tokens, else `RS256`. Never `none`,
 * never a MAC (a logout token must be verifiable with the provider's published keys).
 */
function acceptedAlgorithms(configured: string | undefined, advertised: unknown): string[] {
  if (configured !== undefined) return [configured]
  const asymmetric = Array.isArray(advertised)
    ? advertised.filter(
        (alg): alg is string => typeof alg === 'string' && alg !== 'none' && !/^HS/i.test(alg),
      )
    : []
  return asymmetric.length > 0 ? asymmetric : ['RS256']
}

function describeJose(error: InstanceType<typeof joseErrors.JOSEError>): string {
  if (error instanceof joseErrors.JWTExpired)
    return error.claim === 'iat' ? '"iat" is too old' : 'expired'
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `claim "${error.claim}" check failed (${error.reason})`
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature'
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'signed by an unknown key'
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed'
  return error.code
}
