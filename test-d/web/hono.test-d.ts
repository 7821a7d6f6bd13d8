/**
 * The Hono adapter compiles for Web runtimes: this file and the adapter are checked without
 * Node's types (`test-d/tsconfig.web.json`).
 */
import { expectTypeOf } from 'expect-type'
import { Hono } from 'hono'
import type { OidcSession, Session } from '../../src/index.js'
import { oidcRouter, protect } from '../../src/adapters/hono/index.js'

declare const auth: OidcSession

const app = new Hono()
  .use(oidcRouter(auth))
  .get('/', protect(auth), (c) => c.json({ sub: c.get('oidc').session.sub }))
expectTypeOf(app.fetch).parameter(0).toEqualTypeOf<Request>()
expectTypeOf<Session['sub']>().toEqualTypeOf<string>()
