/**
 * The claim types of the public API, declared here rather than imported from `jose` or
 * `oauth4webapi`: those packages are ES modules only, and a CommonJS declaration file (`.d.cts`)
 * that imports an ES module's types fails to type-check for a `module: node16` consumer
 * (TS1479). They match the dependencies' types structurally, so values pass freely between them.
 * And `jwtClaims()`, which decodes the claims of a JWT the library already holds, once.
 *
 * @module
 */
import { decodeJwt } from 'jose'

/** A JSON value, as claims carry them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue | undefined }

/**
 * The claims of a JWT (an ID token's, for example): the registered claims of RFC 7519 §4.1 typed,
 * any other claim as it decodes. The same shape as `jose`'s `JWTPayload`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1
 */
export interface JwtClaims {
  /** Issuer. */
  iss?: string
  /** Subject. */
  sub?: string
  /** Audience: one string or several. */
  aud?: string | string[]
  /** JWT ID. */
  jti?: string
  /** Not before (seconds since the epoch). */
  nbf?: number
  /** Expiration time (seconds since the epoch). */
  exp?: number
  /** Issued at (seconds since the epoch). */
  iat?: number
  /** Any other claim. */
  [claim: string]: unknown
}

/**
 * The `address` claim of a UserInfo response (OpenID Connect Core §5.1.1).
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AddressClaim
 */
export interface UserInfoAddress {
  readonly formatted?: string
  readonly street_address?: string
  readonly locality?: string
  readonly region?: string
  readonly postal_code?: string
  readonly country?: string
  /** Any other member. */
  readonly [claim: string]: JsonValue | undefined
}

/**
 * The claims of a validated UserInfo response: the standard claims of OpenID Connect Core §5.1
 * typed, any other claim as JSON. The same shape as `oauth4webapi`'s `UserInfoResponse`.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims
 */
export interface UserInfoClaims {
  /** The subject: always the session's `sub` (checked). */
  readonly sub: string
  readonly name?: string
  readonly given_name?: string
  readonly family_name?: string
  readonly middle_name?: string
  readonly nickname?: string
  readonly preferred_username?: string
  readonly profile?: string
  readonly picture?: string
  readonly website?: string
  readonly email?: string
  readonly email_verified?: boolean
  readonly gender?: string
  readonly birthdate?: string
  readonly zoneinfo?: string
  readonly locale?: string
  readonly phone_number?: string
  readonly updated_at?: number
  readonly address?: UserInfoAddress
  /** Any other claim. */
  readonly [claim: string]: JsonValue | undefined
}

/**
 * The validated claims of an ID token (OpenID Connect Core §2). The same shape as
 * `oauth4webapi`'s `IDToken`.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
export interface IdTokenClaims {
  readonly iss: string
  readonly sub: string
  readonly aud: string | string[]
  readonly iat: number
  readonly exp: number
  readonly nonce?: string
  readonly auth_time?: number
  readonly azp?: string
  /** Any other claim. */
  readonly [claim: string]: JsonValue | undefined
}

/**
 * A successful token endpoint response (RFC 6749 §5.1), as validated. The same shape as
 * `oauth4webapi`'s `TokenEndpointResponse`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface TokenResponse {
  readonly access_token: string
  readonly expires_in?: number
  readonly id_token?: string
  readonly refresh_token?: string
  readonly scope?: string
  readonly authorization_details?: JsonObject[]
  /** Lower-cased: `bearer`, `dpop`, or as the provider said. */
  readonly token_type: string
  /** Any other parameter. */
  readonly [parameter: string]: JsonValue | undefined
}

/** The last few tokens decoded (compared by `===`: the requests of a burst share one string). */
const recent: { token: string; claims: Readonly<JwtClaims> | undefined }[] = []
const KEPT = 8

/**
 * The claims of a JWT the library already holds (an id_token verified when it was received),
 * decoded once: after a refresh, every request of a burst carries the same id_token, and merging,
 * packing and unpacking each want its `sub` and `sid`. The payload of `token`, not verified, or
 * `undefined` when it does not decode (never throws). Shared between callers: read it, never
 * change it.
 */
export function jwtClaims(token: string): Readonly<JwtClaims> | undefined {
  for (const entry of recent) if (entry.token === token) return entry.claims
  let claims: Readonly<JwtClaims> | undefined
  try {
    claims = Object.freeze(decodeJwt(token))
  } catch {
    claims = undefined
  }
  recent.unshift({ token, claims })
  if (recent.length > KEPT) recent.pop()
  return claims
}
