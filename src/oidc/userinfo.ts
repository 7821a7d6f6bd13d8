/**
 * The UserInfo endpoint.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import { providerFailure, type ProviderContext } from './provider.js'

/**
 * Call the UserInfo endpoint with `accessToken`; the answer's `sub` must be `expectedSub`.
 *
 * @returns the claims
 * @throws `ProviderUnavailableError` / `ProviderResponseError`
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 */
export async function fetchUserInfo(
  context: ProviderContext,
  accessToken: string,
  expectedSub: string,
): Promise<oauth.UserInfoResponse> {
  try {
    const as = await context.metadata()
    const response = await oauth.userInfoRequest(as, context.client, accessToken, context.http())
    return await oauth.processUserInfoResponse(as, context.client, expectedSub, response)
  } catch (error) {
    throw providerFailure(error, 'userinfo')
  }
}
