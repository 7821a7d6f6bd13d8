/**
 * Back-channel logout never answers 200 for a logout it cannot make visible to every instance: on
 * runtimes made of isolates (the Edge runtime, Cloudflare Workers) with an in-process revocation
 * list and no shared store, it answers 400 `backchannel_logout_unavailable` (§2.8), unless told.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  createOidcSession,
  memoryRevocationList,
  memoryStore,
  type OidcSessionConfig,
} from 'oidc-session'

const base: OidcSessionConfig = {
  issuer: 'http://127.0.0.1:9',
  client: { id: 'app', secret: 'client-secret-client-secret-0123456789' },
  redirectUri: 'http://127.0.0.1:3000/callback',
  secrets: ['policy-secret-policy-secret-policy-0123'],
  logger: { warn: () => undefined },
}

const post = () =>
  new Request('http://127.0.0.1:3000/backchannel-logout', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'logout_token=x.y.z',
  })

async function answer(config: Partial<OidcSessionConfig> = {}) {
  const response = (await createOidcSession({ ...base, ...config }).handler(post()))!
  return { status: response.status, body: (await response.json()) as { error: string } }
}

const onEdge = () => ((globalThis as { EdgeRuntime?: string }).EdgeRuntime = 'edge-runtime')
afterEach(() => {
  delete (globalThis as { EdgeRuntime?: string }).EdgeRuntime
})

describe('logout.backchannel (backchannel-unavailable-on-isolates)', () => {
  it('auto on Node: the receiver handles it (400 invalid_request for a junk token)', async () => {
    expect(await answer()).toEqual({
      status: 400,
      body: expect.objectContaining({ error: 'invalid_request' }),
    })
  })

  it('auto on isolates with an in-process list: 400 backchannel_logout_unavailable, never a 200', async () => {
    onEdge()
    const { status, body } = await answer()
    expect(status).toBe(400)
    expect(body.error).toBe('backchannel_logout_unavailable')
  })

  it('auto on isolates with a shared list or a shared stateful store: handled', async () => {
    onEdge()
    const shared = { ...memoryRevocationList(), shared: true }
    expect((await answer({ logout: { revocationList: shared } })).body.error).toBe(
      'invalid_request',
    )
    const store = { ...memoryStore(), shared: true }
    expect((await answer({ store })).body.error).toBe('invalid_request')
  })

  it("'accept' handles it on isolates; 'refuse' refuses it on Node too; anything else is refused at construction", async () => {
    onEdge()
    expect((await answer({ logout: { backchannel: 'accept' } })).body.error).toBe('invalid_request')
    delete (globalThis as { EdgeRuntime?: string }).EdgeRuntime
    expect((await answer({ logout: { backchannel: 'refuse' } })).body.error).toBe(
      'backchannel_logout_unavailable',
    )
    expect(() =>
      createOidcSession({ ...base, logout: { backchannel: 'maybe' as 'auto' } }),
    ).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }))
  })
})
