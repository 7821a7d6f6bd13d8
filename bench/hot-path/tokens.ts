/**
 * One realistic login for every contender of bench/hot-path: RS256 JWTs of ~1 KB each (a Keycloak-
 * like access token and id_token) and an opaque refresh token, as our `Session` and as the token
 * fields the peers' guides keep in their sessions.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import type { Session } from '../../src/index.js'

export const NOW = Math.floor(Date.now() / 1000)
export const SUB = 'f3b0c5a2-6c1d-4c77-9a7e-0a6f0d1c2b3e'
export const SID = 'b1d5e7c9-2f4a-4d8e-8a3b-5c6d7e8f9a0b'
const ISSUER = 'https://idp.example.com/realms/demo'
const KID = 'k9Q2w6GQ0wY7c3mN1sVh8y0cX5bR4aT2'

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })

export const accessToken = await new SignJWT({
  scope: 'openid profile email offline_access',
  client_id: 'app',
  sid: SID,
  azp: 'app',
  typ: 'Bearer',
  realm_access: { roles: ['default-roles-demo', 'offline_access', 'uma_authorization', 'user'] },
  resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
  allowed_origins: ['https://app.example.com'],
  preferred_username: 'alice',
  email: 'alice@example.com',
})
  .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: KID })
  .setIssuer(ISSUER)
  .setSubject(SUB)
  .setAudience(['account', 'https://api.example.com'])
  .setIssuedAt(NOW)
  .setExpirationTime(NOW + 3600)
  .setJti(randomBytes(16).toString('hex'))
  .sign(privateKey)

export const idToken = await new SignJWT({
  sid: SID,
  nonce: randomBytes(16).toString('base64url'),
  auth_time: NOW,
  at_hash: randomBytes(16).toString('base64url'),
  acr: '1',
  azp: 'app',
  email_verified: true,
  name: 'Alice Liddell',
  preferred_username: 'alice',
  given_name: 'Alice',
  family_name: 'Liddell',
  email: 'alice@example.com',
  locale: 'en',
})
  .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: KID })
  .setIssuer(ISSUER)
  .setSubject(SUB)
  .setAudience('app')
  .setIssuedAt(NOW)
  .setExpirationTime(NOW + 3600)
  .setJti(randomBytes(16).toString('hex'))
  .sign(privateKey)

export const refreshToken = randomBytes(32).toString('base64url')
/** The access token stays fresh for the whole run: every request is the valid-session path. */
export const expiresAt = NOW + 3600

/** Our session for this login (`version` varies to get distinct cookies). */
export function ourSession(version = 0): Session {
  return {
    id: randomBytes(16).toString('base64url'),
    version,
    createdAt: NOW,
    expiresAt: NOW + 7 * 86400,
    sub: SUB,
    sid: SID,
    tokens: {
      accessToken,
      tokenType: 'Bearer',
      expiresAt,
      refreshToken,
      idToken,
      scope: 'openid profile email offline_access',
    },
  }
}

/** What the peers keep for the same login (their documented shape for keeping tokens). */
export const peerTokens = {
  id_token: idToken,
  access_token: accessToken,
  refresh_token: refreshToken,
  token_type: 'Bearer',
  expires_at: expiresAt,
}
