/**
 * The claims of a JWT the library already holds (an id_token verified when it was received),
 * decoded once: after a refresh, every request of a burst carries the same id_token, and merging,
 * packing and unpacking each want its `sub` and `sid`.
 *
 * @module
 */
import { decodeJwt, type JWTPayload } from 'jose'

/** The last few tokens decoded (compared by `===`: the requests of a burst share one string). */
const recent: { token: string; claims: Readonly<JWTPayload> | undefined }[] = []
const KEPT = 8

/**
 * The payload of `token`, not verified, or `undefined` when it does not decode (never throws).
 * Shared between callers: read it, never change it.
 */
export function jwtClaims(token: string): Readonly<JWTPayload> | undefined {
  for (const entry of recent) if (entry.token === token) return entry.claims
  let claims: Readonly<JWTPayload> | undefined
  try {
    claims = Object.freeze(decodeJwt(token))
  } catch {
    claims = undefined
  }
  recent.unshift({ token, claims })
  if (recent.length > KEPT) recent.pop()
  return claims
}
