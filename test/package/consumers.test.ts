/**
 * The consumer matrix of issue #16: `npm run build`, `npm pack`, then the tarball installed into
 * fresh projects and used the way each kind of consumer uses it —
 *
 * - Jest 30 (CommonJS, its own module system: no `require()` of ES modules) logs in through
 *   `oidc-session` with the cookie store and with `oidc-session/redis` on a real `redis-server`;
 * - `node --no-experimental-require-module` requires every subpath and logs in (CommonJS);
 * - Node imports every subpath and logs in (ESM);
 * - `tsc` with `skipLibCheck: false` type-checks imports of every subpath under `node10`,
 *   `node16` (CommonJS and ESM) and `bundler` resolution.
 *
 * The login is real work, offline: a provider served by a `fetch` stub (discovery, a signed ID
 * token), PKCE checked by the stub, the transaction and session sealed and opened by the package.
 *
 * Installing works without the network: the tarball is unpacked into `node_modules/oidc-session`
 * and its `dependencies` (and the consumer's own tools and types) are linked from this
 * repository's `node_modules`, where npm would hoist them. The package itself is a copy, so it
 * resolves only what it declares.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedis, type TestRedis } from '../fixtures/redis.js'

const root = join(import.meta.dirname, '..', '..')
/** The subpaths issue #16 names; the package may add more (each is checked the same way). */
const KNOWN_SUBPATHS = ['redis', 'ajax', 'express', 'node', 'koa', 'fastify', 'hono', 'next']

/**
 * What the consumer installs besides the package's own dependencies: the frameworks and clients
 * it uses (the optional peer dependencies) with their types, Node's types, and what npm hoists
 * from `@types/express`, which the Express augmentation names.
 */
const consumerDependencies = (peers: string[]) => [
  ...peers,
  ...peers.map((name) => `@types/${name}`),
  '@types/node',
  '@types/express-serve-static-core',
]

let work: string
let consumer: string
let redis: TestRedis
let subpaths: string[]
let manifest: {
  dependencies: Record<string, string>
  peerDependencies: Record<string, string>
  exports: Record<string, unknown>
  typesVersions: Record<string, Record<string, string[]>>
  main: string
  module: string
  types: string
}
let packed: string[]

/** Child processes get a clean Node: no options inherited from the test runner. */
const env = (extra: Record<string, string> = {}) => {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => key !== 'NODE_OPTIONS' && !/^VITEST/.test(key)),
  )
  return { ...clean, npm_config_loglevel: 'error', ...extra }
}

function run(command: string, args: string[], cwd: string, extra: Record<string, string> = {}) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: env(extra),
    maxBuffer: 64 * 1024 * 1024,
  })
  return { status: result.status, out: `${result.stdout}${result.stderr}`.trim() }
}

function link(name: string): void {
  const target = join(root, 'node_modules', name)
  if (!existsSync(target)) throw new Error(`${name} is not installed in ${root}/node_modules`)
  const path = join(consumer, 'node_modules', name)
  mkdirSync(dirname(path), { recursive: true })
  symlinkSync(target, path, 'dir')
}

const write = (path: string, text: string) => {
  mkdirSync(dirname(join(consumer, path)), { recursive: true })
  writeFileSync(join(consumer, path), text)
}

beforeAll(async () => {
  const built = run('npm', ['run', 'build'], root)
  if (built.status !== 0) throw new Error(`npm run build failed:\n${built.out}`)
  work = mkdtempSync(join(tmpdir(), 'oidc-session-consumers-'))
  const pack = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: root,
    encoding: 'utf8',
    env: env(),
  })
  const [result] = JSON.parse(pack) as [{ filename: string; files: { path: string }[] }]
  packed = result.files.map((file) => file.path)

  consumer = join(work, 'consumer')
  const installed = join(consumer, 'node_modules', 'oidc-session')
  mkdirSync(installed, { recursive: true })
  execFileSync('tar', [
    '-xzf',
    join(work, result.filename),
    '-C',
    installed,
    '--strip-components=1',
  ])
  manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as typeof manifest
  for (const name of Object.keys(manifest.dependencies)) link(name)
  for (const name of consumerDependencies(Object.keys(manifest.peerDependencies)))
    if (existsSync(join(root, 'node_modules', name))) link(name)
  subpaths = Object.keys(manifest.exports)
    .filter((key) => key !== '.' && key !== './package.json')
    .map((key) => key.slice(2))
  write('package.json', JSON.stringify({ name: 'consumer', private: true }))
  write('scenario.cjs', SCENARIO)
  redis = await startRedis()
}, 15 * 60_000)

afterAll(async () => {
  await redis?.close()
  if (work) rmSync(work, { recursive: true, force: true })
})

/**
 * One login, offline: discovery, the authorization redirect, the callback (its code exchange
 * checks PKCE against the challenge the login sent), then `authenticate()` with the session
 * cookie. Its result says each step worked. Plain CommonJS, so every consumer can load it.
 */
const SCENARIO = String.raw`
module.exports = async function scenario(oidc, crypto, store) {
  const issuer = 'https://idp.example'
  const app = 'https://app.example'
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }
  const metadata = {
    issuer,
    authorization_endpoint: issuer + '/authorize',
    token_endpoint: issuer + '/token',
    jwks_uri: issuer + '/jwks',
    end_session_endpoint: issuer + '/logout',
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'profile', 'offline_access'],
  }
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const sign = (claims) => {
    const input = b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' }) + '.' + b64(claims)
    return input + '.' + crypto.createSign('RSA-SHA256').update(input).sign(privateKey, 'base64url')
  }
  let authorize
  let pkce = false
  const fetch = async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    if (url.pathname === '/.well-known/openid-configuration') return Response.json(metadata)
    if (url.pathname === '/jwks') return Response.json({ keys: [jwk] })
    if (url.pathname === '/token') {
      const form = new URLSearchParams(await request.text())
      const verifier = form.get('code_verifier') || ''
      const challenge = crypto.createHash('sha256').update(verifier).digest('base64url')
      pkce = challenge === authorize.get('code_challenge')
      if (!pkce || form.get('code') !== 'code-1')
        return Response.json({ error: 'invalid_grant' }, { status: 400 })
      const now = Math.floor(Date.now() / 1000)
      const nonce = authorize.get('nonce')
      const claims = { iss: issuer, sub: 'user-1', aud: 'app', iat: now, exp: now + 3600 }
      return Response.json({
        access_token: 'access-1',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'refresh-1',
        scope: 'openid profile offline_access',
        id_token: sign(nonce ? { ...claims, nonce } : claims),
      })
    }
    return new Response('not found', { status: 404 })
  }
  const auth = oidc.createOidcSession({
    issuer,
    client: { id: 'app', secret: 'app-secret' },
    redirectUri: app + '/callback',
    secrets: ['consumer-secret-0123456789abcdef0123456789'],
    http: { fetch },
    ...(store ? { store } : {}),
  })
  const cookiesOf = (response) =>
    response.headers
      .getSetCookie()
      .filter((line) => !/max-age=0/i.test(line))
      .map((line) => line.split(';')[0])
      .join('; ')
  const login = await auth.login(new Request(app + '/login'), { returnTo: '/account' })
  authorize = new URL(login.headers.get('location')).searchParams
  const callback = await auth.callback(
    new Request(app + '/callback?code=code-1&state=' + authorize.get('state'), {
      headers: { cookie: cookiesOf(login) },
    }),
  )
  const result = await auth.authenticate(
    new Request(app + '/account', { headers: { cookie: cookiesOf(callback) } }),
  )
  return {
    login: login.status,
    callback: callback.status,
    returnTo: new URL(callback.headers.get('location'), app).pathname,
    pkce,
    sub: result.ok ? result.session.sub : null,
    reason: result.reason,
  }
}
`

const LOGGED_IN = {
  login: 302,
  callback: 302,
  returnTo: '/account',
  pkce: true,
  sub: 'user-1',
  reason: 'valid',
}

/** A script's one-line JSON result, or its whole output when it failed. */
function runScript(file: string, source: string, nodeArgs: string[] = []) {
  write(file, source)
  const result = run(process.execPath, [...nodeArgs, file], consumer)
  if (result.status !== 0) throw new Error(`${file} failed:\n${result.out}`)
  return JSON.parse(result.out.split('\n').at(-1)!) as unknown
}

describe('the packed tarball', () => {
  it('exports every subpath, and maps each for node10 resolution (typesVersions)', () => {
    expect(subpaths).toEqual(expect.arrayContaining(KNOWN_SUBPATHS))
    const mapped = manifest.typesVersions['*'] ?? {}
    expect(Object.keys(mapped).sort()).toEqual([...subpaths].sort())
    for (const name of subpaths) {
      const entry = manifest.exports[`./${name}`] as { require: { types: string } }
      expect(mapped[name], name).toEqual([entry.require.types])
    }
  })

  it('ships every file its package.json points at', () => {
    const targets = new Set<string>([manifest.main, manifest.module, manifest.types])
    const walk = (value: unknown): void => {
      if (typeof value === 'string') targets.add(value)
      else if (value && typeof value === 'object') Object.values(value).forEach(walk)
    }
    walk(manifest.exports)
    walk(manifest.typesVersions)
    const files = new Set(packed)
    const missing = [...targets]
      .map((target) => target.replace(/^\.\//, ''))
      .filter((target) => !files.has(target))
    expect(missing).toEqual([])
    expect(targets.size).toBeGreaterThan(4 * (subpaths.length + 1))
  })

  it('bundles jose and oauth4webapi into the CommonJS build only', () => {
    const dist = join(consumer, 'node_modules', 'oidc-session', 'dist')
    const cjs = packed.filter((file) => file.endsWith('.cjs'))
    const esm = packed.filter((file) => file.endsWith('.js'))
    const text = (file: string) => readFileSync(join(dist, relative('dist', file)), 'utf8')
    const requires = /require\(["'](?:jose|oauth4webapi)(?:\/[^"']*)?["']\)/
    expect(cjs.filter((file) => requires.test(text(file)))).toEqual([])
    const imports = /from\s*["'](?:jose|oauth4webapi)["']/
    expect(esm.some((file) => imports.test(text(file)))).toBe(true)
  })

  it(
    'Jest 30 (CommonJS, no require(esm)) logs in with the cookie store and the Redis store',
    () => {
      write(
        'jest/login.test.js',
        `const crypto = require('node:crypto')
const oidc = require('oidc-session')
const { redisStore } = require('oidc-session/redis')
const { Redis } = require('ioredis')
const scenario = require('../scenario.cjs')
const expected = ${JSON.stringify(LOGGED_IN)}

test('cookie store', async () => {
  expect(await scenario(oidc, crypto)).toEqual(expected)
})

test('Redis store', async () => {
  const client = new Redis(process.env.REDIS_URL)
  try {
    const store = redisStore({ client, keyPrefix: 'consumer-jest:' })
    expect(await scenario(oidc, crypto, store)).toEqual(expected)
    expect((await client.keys('consumer-jest:*')).length).toBeGreaterThan(0)
  } finally {
    client.disconnect()
  }
})
`,
      )
      const report = join(work, 'jest-report.json')
      const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js')
      const config = { testEnvironment: 'node', transform: {}, testMatch: ['**/*.test.js'] }
      const result = run(
        process.execPath,
        [
          jest,
          '--ci',
          '--watchman=false',
          `--rootDir=${join(consumer, 'jest')}`,
          `--cacheDirectory=${join(work, 'jest-cache')}`,
          `--config=${JSON.stringify(config)}`,
          '--json',
          `--outputFile=${report}`,
        ],
        consumer,
        { REDIS_URL: redis.url },
      )
      expect(result.status, result.out).toBe(0)
      const summary = JSON.parse(readFileSync(report, 'utf8')) as {
        numPassedTests: number
        numFailedTests: number
      }
      expect(summary).toMatchObject({ numPassedTests: 2, numFailedTests: 0 })
    },
    5 * 60_000,
  )

  it(
    'node --no-experimental-require-module requires every subpath and logs in (CommonJS)',
    () => {
      const source = `const oidc = require('oidc-session')
const subpaths = {}
for (const name of ${JSON.stringify(subpaths)}) subpaths[name] = Object.keys(require('oidc-session/' + name)).length
require('./scenario.cjs')(oidc, require('node:crypto')).then((result) => {
  console.log(JSON.stringify({ result, subpaths, version: require('oidc-session/package.json').version }))
})`
      const out = runScript('cjs.cjs', source, ['--no-experimental-require-module']) as {
        result: unknown
        subpaths: Record<string, number>
        version: string
      }
      expect(out.result).toEqual(LOGGED_IN)
      expect(Object.keys(out.subpaths)).toEqual(subpaths)
      for (const name of subpaths) expect(out.subpaths[name], name).toBeGreaterThan(0)
      expect(out.version).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version)
    },
    2 * 60_000,
  )

  it(
    'Node imports every subpath and logs in (ESM)',
    () => {
      const source = `import crypto from 'node:crypto'
import { createRequire } from 'node:module'
import * as oidc from 'oidc-session'
const scenario = createRequire(import.meta.url)('./scenario.cjs')
const subpaths = {}
for (const name of ${JSON.stringify(subpaths)}) subpaths[name] = Object.keys(await import('oidc-session/' + name)).length
console.log(JSON.stringify({ result: await scenario(oidc, crypto), subpaths }))`
      const out = runScript('esm.mjs', source) as {
        result: unknown
        subpaths: Record<string, number>
      }
      expect(out.result).toEqual(LOGGED_IN)
      expect(Object.keys(out.subpaths)).toEqual(subpaths)
      for (const name of subpaths) expect(out.subpaths[name], name).toBeGreaterThan(0)
    },
    2 * 60_000,
  )

  /**
   * A consumer file importing every subpath. Each `@ts-expect-error` line is an error only when
   * its subpath's types resolved (an unused directive is itself an error), so a subpath typed
   * `any` fails the check.
   */
  const check = () => {
    const namespaces = subpaths.map((name, index) => ({ name, id: `subpath${index}` }))
    return `import { createOidcSession, type OidcSession, type Session, type UserInfoClaims } from 'oidc-session'
import { redisStore, type RedisStoreOptions } from 'oidc-session/redis'
import { isAjax } from 'oidc-session/ajax'
import * as forExpress from 'oidc-session/express'
import * as forNode from 'oidc-session/node'
import * as forKoa from 'oidc-session/koa'
import * as forFastify from 'oidc-session/fastify'
import * as forHono from 'oidc-session/hono'
import * as forNext from 'oidc-session/next'
${namespaces.map(({ name, id }) => `import * as ${id} from 'oidc-session/${name}'`).join('\n')}

declare const auth: OidcSession
declare const session: Session
declare const claims: UserInfoClaims
declare const options: RedisStoreOptions

export const typed: { sub: string; email: string | undefined; ajax: boolean } = {
  sub: session.sub,
  email: claims.email,
  ajax: isAjax({ accept: 'application/json' }),
}
export const made = [
  redisStore(options),
  forExpress.protect(auth),
  forNode.handler(auth),
  forKoa.protect(auth),
  forFastify.protect(auth),
  forHono.protect(auth),
  forNext.handlers(auth),
]
// @ts-expect-error — the configuration needs an issuer, a client, a redirect URI and secrets
createOidcSession({})
${namespaces.map(({ name, id }) => `// @ts-expect-error — oidc-session/${name} has no such export\nvoid ${id}.notAnExport`).join('\n')}
`
  }

  const PROFILES = {
    node10: { module: 'commonjs', moduleResolution: 'node10', type: 'commonjs' },
    'node16 (CJS)': { module: 'node16', moduleResolution: 'node16', type: 'commonjs' },
    'node16 (ESM)': { module: 'node16', moduleResolution: 'node16', type: 'module' },
    bundler: { module: 'esnext', moduleResolution: 'bundler', type: 'module' },
  } as const

  it.each(Object.entries(PROFILES))(
    'tsc, skipLibCheck off, %s: every subpath type-checks',
    (name, profile) => {
      const dir = `tsc-${name.replace(/\W+/g, '-').replace(/-$/, '')}`
      write(`${dir}/package.json`, JSON.stringify({ type: profile.type }))
      write(`${dir}/check.ts`, check())
      write(
        `${dir}/tsconfig.json`,
        JSON.stringify({
          compilerOptions: {
            module: profile.module,
            moduleResolution: profile.moduleResolution,
            target: 'es2022',
            // A Node project: no DOM library, Node's types only.
            lib: ['es2022'],
            types: ['node'],
            strict: true,
            skipLibCheck: false,
            noEmit: true,
          },
          files: ['check.ts'],
        }),
      )
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
      const result = run(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], consumer)
      const errors = result.out.split('\n').filter((line) => /: error TS\d+:/.test(line))
      expect(result.status === 0 || errors.length > 0, result.out).toBe(true)
      // Errors in oidc-session's declarations or in the consumer's file fail the check. Other
      // packages' declarations (next, @types/koa) have errors of their own under some of these
      // settings, with or without oidc-session: they are not what this test is about.
      const ours = errors.filter((line) => {
        const path = relative(
          consumer,
          resolve(consumer, line.replace(/\(\d+,\d+\): error.*$/, '')),
        )
        return !isAbsolute(path) && !path.startsWith('..')
      })
      expect(ours).toEqual([])
    },
    5 * 60_000,
  )
})
