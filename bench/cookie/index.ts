/**
 * Cookie store against its peers, side by side in one run (< 60 s):
 *
 * 1. opening a sealed session: `cookieStore().load` (Cookie header → Session) against iron-session
 *    `unsealData`, `@auth/core/jwt` `decode`, and plain `node:crypto` AES-256-GCM decrypting our
 *    own sealed bytes (the raw limit);
 * 2. cookie bytes for the same token set: ours, express-openid-connect's `appSession`, Auth.js's
 *    session JWT cookie and iron-session.
 *
 * Peers are not dependencies: `npm install --no-save iron-session@8 @auth/core express-openid-connect`
 * (at the root, or with `--prefix bench/cookie`). Figures are ratios measured in the same process.
 */
import '../node-backend.js'
import {
  createDecipheriv,
  createPrivateKey,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SignJWT } from 'jose'
import { CookieJar } from '../../src/request/cookie-jar.js'
import { sealBackend } from '../../src/session/codec.js'
import type { Session } from '../../src/session/session.js'
import { cookieStore } from '../../src/stores/cookie/index.js'
import type { StoreContext } from '../../src/stores/types.js'
import { report } from '../report.js'

const require = createRequire(import.meta.url)
const SECRET = 'bench-secret-bench-secret-bench-secret-0123'
const NOW = Math.floor(Date.now() / 1000)
const PER_CONTENDER_MS = Number(process.env.BENCH_MS ?? 3000)

interface Peer {
  name: string
  version: string
}
/** Version of an installed package (found from its entry point: not every package exports ./package.json). */
function version(pkg: string, entry = pkg): string {
  let dir = dirname(fileURLToPath(import.meta.resolve(entry)))
  for (;;) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string
        version: string
      }
      if (json.name === pkg) return json.version
    } catch {
      // no package.json here
    }
    const parent = dirname(dir)
    if (parent === dir) return 'unknown'
    dir = parent
  }
}

// ── A realistic token set: RS256 JWTs of ~1 KB each, an opaque refresh token ─────────────────────
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const signingKey = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }))
const issuer = 'https://idp.example.com/realms/demo'
const sub = 'f3b0c5a2-6c1d-4c77-9a7e-0a6f0d1c2b3e'
const sid = 'b1d5e7c9-2f4a-4d8e-8a3b-5c6d7e8f9a0b'
const accessToken = await new SignJWT({
  scope: 'openid profile email offline_access',
  client_id: 'app',
  sid,
  azp: 'app',
  typ: 'Bearer',
  realm_access: { roles: ['default-roles-demo', 'offline_access', 'uma_authorization', 'user'] },
  resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
  allowed_origins: ['https://app.example.com'],
  preferred_username: 'alice',
  email: 'alice@example.com',
})
  .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k9Q2w6GQ0wY7c3mN1sVh8y0cX5bR4aT2' })
  .setIssuer(issuer)
  .setSubject(sub)
  .setAudience(['account', 'https://api.example.com'])
  .setIssuedAt(NOW)
  .setExpirationTime(NOW + 300)
  .setJti(randomBytes(16).toString('hex'))
  .sign(signingKey)
const idToken = await new SignJWT({
  sid,
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
  .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'k9Q2w6GQ0wY7c3mN1sVh8y0cX5bR4aT2' })
  .setIssuer(issuer)
  .setSubject(sub)
  .setAudience('app')
  .setIssuedAt(NOW)
  .setExpirationTime(NOW + 300)
  .setJti(randomBytes(16).toString('hex'))
  .sign(signingKey)
const refreshToken = randomBytes(32).toString('base64url')
const expiresAt = NOW + 300

const session: Session = {
  id: randomBytes(16).toString('base64url'),
  version: 0,
  createdAt: NOW,
  expiresAt: NOW + 7 * 86400,
  sub,
  sid,
  tokens: {
    accessToken,
    tokenType: 'Bearer',
    expiresAt,
    refreshToken,
    idToken,
    scope: 'openid profile email offline_access',
  },
}
/** What the peers store for the same login (their documented shape for keeping tokens). */
const peerPayload = {
  id_token: idToken,
  access_token: accessToken,
  refresh_token: refreshToken,
  token_type: 'Bearer',
  expires_at: expiresAt,
}

// ── Ours ─────────────────────────────────────────────────────────────────────────────────────
const COOKIE = '__Host-oidc_session'
const store = cookieStore({ secrets: [SECRET] })
const attributes = { httpOnly: true, secure: true, sameSite: 'lax', path: '/' } as const
const context = (jar: CookieJar): StoreContext => ({
  jar,
  cookie: { name: COOKIE, attributes },
  now: NOW,
})
let sealings = 0
async function sealOurs(): Promise<{ header: string; lines: string[] }> {
  const jar = new CookieJar(undefined)
  // A distinct version per sealing: the store seals identical sessions once, and the cold path
  // must measure different cookies.
  await store.save(context(jar), { ...session, version: sealings++, tokens: { ...session.tokens } })
  const lines = jar.setCookieLines()
  const header = lines.map((line) => line.slice(0, line.indexOf(';'))).join('; ')
  return { header, lines }
}
const ours = await sealOurs()
// 512 different sealings of the same session: more than the store's cache of opened values (256),
// so cycling through them measures the cold path (every load decrypts).
const coldHeaders = [ours.header]
while (coldHeaders.length < 512) coldHeaders.push((await sealOurs()).header)
if (new Set(coldHeaders).size !== coldHeaders.length)
  throw new Error('cold cookies must all differ')
const oursSealed = ours.header.slice(ours.header.indexOf('=') + 1)
const check = await store.load(context(new CookieJar(ours.header)))
if (check.session?.tokens.idToken !== idToken || check.session.sid !== sid)
  throw new Error('the cookie store did not round-trip the session')

// Raw limit: node:crypto AES-256-GCM on the same JWE bytes, key derived as the codec does.
const rawKey = Buffer.from(
  hkdfSync('sha256', SECRET, 'oidc-session', 'oidc-session session A256GCM', 32),
)
function rawOpen(sealed: string): Buffer {
  const [header = '', , iv = '', ciphertext = '', tag = ''] = sealed.split('.')
  const decipher = createDecipheriv('aes-256-gcm', rawKey, Buffer.from(iv, 'base64url'))
  decipher.setAAD(Buffer.from(header, 'ascii'))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()])
}
rawOpen(oursSealed)

// ── Peers ────────────────────────────────────────────────────────────────────────────────────
const peers: Peer[] = []
const iron = await import('iron-session')
peers.push({ name: 'iron-session', version: version('iron-session') })
const ironSealed = await iron.sealData({ ...peerPayload, sub }, { password: SECRET })
const authJwt = await import('@auth/core/jwt')
peers.push({ name: '@auth/core', version: version('@auth/core', '@auth/core/jwt') })
const AUTH_COOKIE = '__Secure-authjs.session-token'
const authSealed = await authJwt.encode({
  // Auth.js's default JWT (name, email, picture, sub) plus the tokens, as its guides add them.
  token: { name: 'Alice Liddell', email: 'alice@example.com', sub, ...peerPayload },
  secret: SECRET,
  salt: AUTH_COOKIE,
  maxAge: 30 * 86400,
})
const eocCrypto = require('express-openid-connect/lib/crypto.js') as {
  encryptSync(payload: string, key: Buffer, headers: Record<string, number>): string
  encryption(secret: string): Buffer
}
peers.push({ name: 'express-openid-connect', version: version('express-openid-connect') })
const eocSealed = eocCrypto.encryptSync(
  JSON.stringify({ ...peerPayload, sid }),
  eocCrypto.encryption(SECRET),
  { iat: NOW, uat: NOW, exp: NOW + 86400 },
)

// ── Timing ───────────────────────────────────────────────────────────────────────────────────
// The machine is shared: contenders run interleaved in short slices, round after round, so load
// that comes and goes hits them all alike.
const contenders: { name: string; run: (i: number) => unknown; ops: number; ms: number }[] = (
  [
    {
      name: 'oidc-session cookieStore.load, warm (same cookie again: cache hit)',
      run: () => store.load(context(new CookieJar(ours.header))),
    },
    {
      name: 'oidc-session cookieStore.load, cold (new cookie every time: decrypt + unpack)',
      run: (i) => store.load(context(new CookieJar(coldHeaders[i % coldHeaders.length]))),
    },
    {
      name: `iron-session ${version('iron-session')} unsealData`,
      run: () => iron.unsealData(ironSealed, { password: SECRET }),
    },
    {
      name: `@auth/core ${version('@auth/core', '@auth/core/jwt')} jwt.decode`,
      run: () => authJwt.decode({ token: authSealed, secret: SECRET, salt: AUTH_COOKIE }),
    },
    {
      name: 'node:crypto AES-256-GCM on our sealed bytes (raw limit, sync)',
      run: () => rawOpen(oursSealed),
    },
  ] as { name: string; run: (i: number) => unknown }[]
).map((c) => ({ ...c, ops: 0, ms: 0 }))
const ROUNDS = 12
const slice = PER_CONTENDER_MS / ROUNDS
for (const c of contenders) for (let i = 0; i < 300; i++) await c.run(i)
for (let round = 0; round < ROUNDS; round++) {
  for (const c of contenders) {
    const start = performance.now()
    const until = start + slice
    while (performance.now() < until) {
      for (let j = 0; j < 20; j++) await c.run(c.ops++)
    }
    c.ms += performance.now() - start
  }
}
const rows = contenders.map((c) => ({ name: c.name, opsPerSecond: (c.ops * 1000) / c.ms }))

const peerRows = rows.filter((row) => /^(iron-session|@auth)/.test(row.name))
const fastestPeer = Math.max(...peerRows.map((row) => row.opsPerSecond))
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
console.log(
  `Opening a sealed session (Node ${process.version}, codec backend: ${sealBackend}, ${PER_CONTENDER_MS} ms each in ${ROUNDS} interleaved slices, sequential awaits)
`,
)
console.log('| contender | ops/s | × fastest peer |')
console.log('|---|---:|---:|')
for (const row of rows)
  console.log(
    `| ${row.name} | ${fmt(row.opsPerSecond)} | ${(row.opsPerSecond / fastestPeer).toFixed(2)}× |`,
  )

// ── Bytes ────────────────────────────────────────────────────────────────────────────────────
const bytes = [
  {
    name: 'oidc-session cookieStore',
    cookies: ours.lines.length,
    header: ours.header.length,
  },
  {
    name: `express-openid-connect ${version('express-openid-connect')} (appSession)`,
    cookies: 1,
    header: `appSession=${eocSealed}`.length,
  },
  {
    name: `@auth/core ${version('@auth/core', '@auth/core/jwt')} (${AUTH_COOKIE})`,
    cookies: 1,
    header: `${AUTH_COOKIE}=${authSealed}`.length,
  },
  {
    name: `iron-session ${version('iron-session')} (sealData, cookie "session")`,
    cookies: 1,
    header: `session=${ironSealed}`.length,
  },
]
const smallestPeer = Math.min(...bytes.slice(1).map((row) => row.header))
console.log(
  `\nCookie bytes for the same tokens (access token ${accessToken.length} B, id_token ${idToken.length} B, refresh token ${refreshToken.length} B)\n`,
)
console.log('| store | cookies | bytes in the Cookie header | vs smallest peer |')
console.log('|---|---:|---:|---:|')
for (const row of bytes)
  console.log(
    `| ${row.name} | ${row.cookies} | ${row.header} | ${((row.header / smallestPeer) * 100).toFixed(0)} % |`,
  )
const ourOps = rows[1]?.opsPerSecond ?? 0
const warmOps = rows[0]?.opsPerSecond ?? 0
const rawOps = rows[4]?.opsPerSecond ?? 0
console.log(
  `\nCold load is ${(ourOps / fastestPeer).toFixed(2)}× the fastest peer (target ≥ 10×) and raw ÷ cold = ${(rawOps / ourOps).toFixed(2)}× (target ≤ 3×); warm load ${(warmOps / fastestPeer).toFixed(2)}× the fastest peer, ${(warmOps / rawOps).toFixed(2)}× raw (target > 1×).`,
)

// ── Rows for bench/results.json (npm run bench) ──────────────────────────────────────────────
const fastestPeerName = peerRows.find((row) => row.opsPerSecond === fastestPeer)?.name
report('cookie', [
  ...rows.map((row) => ({
    row: 'open a sealed session (ops/s, sequential)',
    contender: row.name,
    figure: row.opsPerSecond,
    unit: 'ops/s',
    better: 'higher' as const,
    runs: ROUNDS,
    reference: row.name === fastestPeerName,
  })),
  ...bytes.map((row) => ({
    row: 'Cookie header bytes for the same tokens',
    contender: row.name,
    figure: row.header,
    unit: 'B',
    better: 'lower' as const,
    runs: 1,
    reference: row.header === smallestPeer && row !== bytes[0],
    note: `${row.cookies} cookie(s)`,
  })),
])
