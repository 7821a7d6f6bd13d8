/**
 * The UserInfo endpoint.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import { withDpopNonceRetry, type DpopKey } from './dpop.js'
import { providerFailure, type ProviderContext } from './provider.js'

/**
 * Call the UserInfo endpoint with `accessToken`; the answer's `sub` must be `expectedSub`.
 *
 * @param dpop the session's DPoP key when `accessToken` is sender-constrained: the request carries
 *   a proof with `ath` (RFC 9449 §7), and a `use_dpop_nonce` answer is retried once
 * @returns the claims
 * @throws `ProviderUnavailableError` / `ProviderResponseError`
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 */
export async function fetchUserInfo(
  context: ProviderContext,
  accessToken: string,
  expectedSub: string,
  dpop?: DpopKey,
): Promise<oauth.UserInfoResponse> {
  try {
    const as = await context.metadata()
    return await withDpopNonceRetry(dpop, async () => {
      const response = await oauth.userInfoRequest(
        as,
        context.client,
        accessToken,
        context.http(dpop ? { DPoP: dpop.handle } : {}),
      )
      return oauth.processUserInfoResponse(as, context.client, expectedSub, response)
    })
  } catch (error) {
    throw providerFailure(error, 'userinfo')
  }
}
