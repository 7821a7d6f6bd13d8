/**
 * Type tests (checked by `tsc`, never run): application data is typed through
 * `createOidcSession<MyData>()`, hooks see it, `updateSession` patches are checked against it,
 * and `protect()`'s step-up options and reasons are typed.
 */
import { expectTypeOf } from 'expect-type'
import {
  createOidcSession,
  type OidcSession,
  type OidcSessionEvent,
  type SessionSummary,
} from 'oidc-session'

type AppData = { roles: string[]; theme?: string }

const auth = createOidcSession<AppData>({
  issuer: 'https://idp.example',
  client: { id: 'app', secret: 's' },
  redirectUri: 'https://app.example/callback',
  secrets: ['x'.repeat(32)],
  session: { idle: 1800, touchAfter: 60, absolute: 86_400, userAgent: true },
  hooks: {
    onCallback(session) {
      expectTypeOf(session.data).toEqualTypeOf<AppData | undefined>()
      session.data = { roles: ['user'] }
    },
  },
  onEvent(event) {
    expectTypeOf(event).toEqualTypeOf<OidcSessionEvent>()
    if (event.type === 'refresh')
      expectTypeOf(event.source).toEqualTypeOf<'provider' | 'shared' | 'cache'>()
  },
})
expectTypeOf(auth).toEqualTypeOf<OidcSession<AppData>>()
// An OidcSession<AppData> goes wherever an OidcSession does (adapters).
expectTypeOf(auth).toExtend<OidcSession>()

declare const request: Request
const result = await auth.protect(request, { acr: ['mfa'], maxAge: 300 })
if (result.ok) expectTypeOf(result.session.data).toEqualTypeOf<AppData | undefined>()
else expectTypeOf(result.reason).toExtend<string>()
await auth.updateSession(request, { theme: 'dark' })
// @ts-expect-error -- not a field of AppData
await auth.updateSession(request, { colour: 'dark' })
expectTypeOf(await auth.sessions(request)).toEqualTypeOf<SessionSummary[]>()
expectTypeOf(await auth.endAllSessions('sub')).toEqualTypeOf<number>()
