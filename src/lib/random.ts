import { base64url } from 'jose'

/** `bytes` random bytes from WebCrypto, base64url-encoded. */
export function randomId(bytes = 32): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)))
}
