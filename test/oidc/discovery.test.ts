/**
 * Discovery (src/oidc/discovery.ts), and a guard on the two undocumented `oauth4webapi` hooks it
 * relies on for Microsoft Entra ID's `{tenantid}` issuer template: `_nodiscoverycheck` and
 * `_expectedIssuer` (exported by its build, absent from its typings). If an `oauth4webapi` upgrade
 * drops or changes them, these tests fail before any user meets a refused Entra login.
 */
import { generateKeyPair, SignJWT } from 'jose'
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import * as oauth from 'oauth4webapi'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { DiscoveryError, DiscoveryIssuerMismatchError } from '../../src/errors.js'
import { discover, templateHooksAvailable } from '../../src/oidc/discovery.js'
import { createProviderContext } from '../../src/oidc/provider.js'
import { resolveConfig } from '../../src/config.js'

const ORIGIN = 'http://127.0.0.1:9'
const TEMPLATE = `${ORIGIN}/login.microsoftonline.com/{tenantid}/v2.0`
const COMMON = `${ORIGIN}/login.microsoftonline.com/common/v2.0`
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const OTHER_TENANT = '0b2a0d1e-0000-4000-8000-000000000001'
const CLIENT = { client_id: 'app' }
const options = { [oauth.allowInsecureRequests]: true, algorithm: 'oidc' as const }

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

/** Serve a discovery document for `configured` that names `issuer`. */
function serve(configured: string, issuer: string): void {
  server.use(
    http.get(`${configured}/.well-known/openid-configuration`, () =>
      HttpResponse.json({
        issuer,
        authorization_endpoint: `${configured}/authorize`,
        token_endpoint: `${configured}/token`,
        jwks_uri: `${configured}/keys`,
      }),
    ),
  )
}

const { privateKey } = await generateKeyPair('RS256')

/** A token endpoint response with an id_token of issuer `iss` and tenant `tid`. */
async function tokenResponse(iss: string, tid: string): Promise<Response> {
  const now = Math.floor(Date.now() / 1000)
  const idToken = await new SignJWT({ tid, nonce: 'n' })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(iss)
    .setSubject('user')
    .setAudience(CLIENT.client_id)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(privateKey)
  return Response.json({ access_token: 'at', token_type: 'Bearer', id_token: idToken })
}

const accept = (as: oauth.AuthorizationServer, response: Response) =>
  oauth.processAuthorizationCodeResponse(as, CLIENT, response, { expectedNonce: 'n' })

describe('oauth4webapi hooks (guard)', () => {
  const hooks = oauth as unknown as { _nodiscoverycheck: unknown; _expectedIssuer: unknown }

  it('both hooks exist as symbols', () => {
    expect(typeof hooks._nodiscoverycheck).toBe('symbol')
    expect(typeof hooks._expectedIssuer).toBe('symbol')
    expect(templateHooksAvailable()).toBe(true)
  })

  it('_nodiscoverycheck skips the exact issuer comparison of processDiscoveryResponse', async () => {
    serve(COMMON, TEMPLATE)
    const response = () => oauth.discoveryRequest(new URL(COMMON), options)
    await expect(
      oauth.processDiscoveryResponse(new URL(COMMON), await response()),
    ).rejects.toMatchObject({ code: oauth.JSON_ATTRIBUTE_COMPARISON })
    const as = await oauth.processDiscoveryResponse(
      hooks._nodiscoverycheck as URL,
      await response(),
    )
    expect(as.issuer).toBe(TEMPLATE)
  })

  it('_expectedIssuer decides the iss an id_token must carry', async () => {
    const as: oauth.AuthorizationServer = { issuer: TEMPLATE, token_endpoint: `${COMMON}/token` }
    const tenantIssuer = TEMPLATE.replace('{tenantid}', TENANT)
    await expect(accept(as, await tokenResponse(tenantIssuer, TENANT))).rejects.toMatchObject({
      code: oauth.JWT_CLAIM_COMPARISON,
    })
    ;(as as unknown as Record<symbol, unknown>)[hooks._expectedIssuer as symbol] = () =>
      tenantIssuer
    await expect(accept(as, await tokenResponse(tenantIssuer, TENANT))).resolves.toBeDefined()
  })
})

describe('discover()', () => {
  it('an identical issuer: the metadata, no template hook', async () => {
    const issuer = `${ORIGIN}/idp.example.com`
    serve(issuer, issuer)
    const as = await discover(new URL(issuer), options)
    expect(as.issuer).toBe(issuer)
    expect(Object.getOwnPropertySymbols(as)).toEqual([])
  })

  it('another issuer: ERR_DISCOVERY_ISSUER_MISMATCH naming both, not transient', async () => {
    const configured = `${ORIGIN}/idp.example.com/realms/demo`
    const discovered = `${ORIGIN}/idp.example.com/realms/prod`
    serve(configured, discovered)
    const error = await discover(new URL(configured), options).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DiscoveryIssuerMismatchError)
    expect(error).toMatchObject({
      code: 'ERR_DISCOVERY_ISSUER_MISMATCH',
      transient: false,
      configured,
      discovered,
    })
    expect((error as Error).message).toContain(configured)
    expect((error as Error).message).toContain(discovered)
  })

  it('the {tenantid} template for /common: tokens must carry the template with their own tid', async () => {
    serve(COMMON, TEMPLATE)
    const as = await discover(new URL(COMMON), options)
    expect(as.issuer).toBe(TEMPLATE)
    const own = TEMPLATE.replace('{tenantid}', TENANT)
    await expect(accept(as, await tokenResponse(own, TENANT))).resolves.toBeDefined()
    // iss of one tenant, tid of another; the template itself; a non-tenant tid
    for (const [iss, tid] of [
      [own, OTHER_TENANT],
      [TEMPLATE, TENANT],
      [TEMPLATE.replace('{tenantid}', 'a/b'), 'a/b'],
    ] as const)
      await expect(accept(as, await tokenResponse(iss, tid))).rejects.toMatchObject({
        code: oauth.JWT_CLAIM_COMPARISON,
      })
  })

  it('the provider context: a mismatch passes through, an unreachable document is a DiscoveryError', async () => {
    const configured = `${ORIGIN}/idp.example.com`
    const context = (issuer: string) =>
      createProviderContext(
        resolveConfig({
          issuer,
          client: { id: 'app' },
          redirectUri: 'http://127.0.0.1:3000/callback',
          secrets: ['discovery-tests-secret-discovery-tests-secret'],
        }).provider,
      )
    serve(configured, `${configured}/typo`)
    await expect(context(configured).metadata()).rejects.toBeInstanceOf(
      DiscoveryIssuerMismatchError,
    )
    server.use(
      http.get(
        `${ORIGIN}/down.example.com/.well-known/openid-configuration`,
        () => new HttpResponse(null, { status: 503 }),
      ),
    )
    const down = await context(`${ORIGIN}/down.example.com`)
      .metadata()
      .catch((e: unknown) => e)
    expect(down).toBeInstanceOf(DiscoveryError)
    expect((down as DiscoveryError).transient).toBe(true)
  })
})
