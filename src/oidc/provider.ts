/**
 * The provider as the rest of the library sees it: cached discovery, the `oauth4webapi` client and
 * client authentication, HTTP options (timeout, insecure loopback, custom fetch), and the mapping
 * of transport/protocol failures to typed errors.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import {
  DiscoveryError,
  OidcSessionError,
  ProviderResponseError,
  ProviderUnavailableError,
} from '../errors.js'
import { discover } from './discovery.js'
import { DpopNonces } from './dpop-nonces.js'
import { resolveProviderProfile, type ProviderName, type ProviderProfile } from './profiles.js'

/** The client's registration at the provider, as the protocol layer needs it. */
export interface ProviderClient {
  id: string
  secret?: string
  authMethod: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none'
  privateKey?: CryptoKey | { key: CryptoKey; kid?: string }
  idTokenSignedResponseAlg?: string
}

/** Options of {@link createProviderContext} (resolved and validated by `createOidcSession`). */
export interface ProviderOptions {
  issuer: URL
  client: ProviderClient
  /** The callback URL registered at the provider. */
  redirectUri: URL
  /** Scope of every login, as configured (or the default). */
  scope: string
  /** `true` when the application set `scope` itself: it is then sent as is, whatever the profile. */
  scopeExplicit: boolean
  /** The explicit provider profile (`provider` option); `undefined`: detected after discovery. */
  provider: ProviderName | undefined
  /** Authorization parameters sent on every login. */
  authorizationParams: Readonly<Record<string, string>>
  /** Timeout of every provider call, milliseconds. */
  timeoutMs: number
  allowInsecureRequests: boolean
  fetch: typeof fetch | undefined
  clockToleranceSeconds: number
  /** Time source, milliseconds. */
  now: () => number
  /**
   * Resource indicators (RFC 8707): `login` are asked for on every authorization request, `default`
   * also on the code grant and the refreshes of the session's own token, under `parameter`.
   */
  resources?: {
    login: readonly string[]
    default: string | undefined
    parameter: 'resource' | 'audience'
  }
  /** Send DPoP proofs (RFC 9449) on the code exchange. */
  dpop?: boolean
  /** Always push authorization requests (RFC 9126), not only when the provider requires it. */
  pushedAuthorizationRequests?: boolean
}

/** Everything a protocol operation needs. */
export interface ProviderContext {
  /** Authorization server metadata (discovered once, cached; failures retried after a cooldown). */
  metadata(): Promise<oauth.AuthorizationServer>
  /**
   * The provider profile: the explicit `provider` option, else detected from the issuer and the
   * discovered metadata (see `resolveProviderProfile`). Rejects as {@link metadata} does.
   */
  profile(): Promise<ProviderProfile>
  /**
   * The profile as far as it is known now, without I/O: the one {@link profile} resolved, else the
   * explicit one or the one the issuer alone names (before discovery).
   */
  currentProfile(): ProviderProfile
  readonly client: oauth.Client
  readonly clientAuth: oauth.ClientAuth
  /** Options for every `oauth4webapi` request: timeout signal, custom fetch, insecure loopback. */
  http<T extends object = object>(
    extra?: T,
  ): T & oauth.HttpRequestOptions<'GET' | 'POST', URLSearchParams | undefined>
  readonly options: ProviderOptions
  /** DPoP nonces the provider (and forwarded-to APIs) gave, shared by every session's key. */
  readonly dpopNonces: DpopNonces
}

const DISCOVERY_TTL_MS = 24 * 3600 * 1000
const DISCOVERY_COOLDOWN_MS = 1000

/** Build the {@link ProviderContext} for a resolved configuration. */
export function createProviderContext(config: ProviderOptions): ProviderContext {
  const client: oauth.Client = {
    client_id: config.client.id,
    [oauth.clockTolerance]: config.clockToleranceSeconds,
  }
  if (config.client.idTokenSignedResponseAlg)
    client.id_token_signed_response_alg = config.client.idTokenSignedResponseAlg
  const clientAuth = createClientAuth(config)
  const dpopNonces = new DpopNonces()

  const http = <T extends object>(extra?: T) => {
    const options: oauth.HttpRequestOptions<'GET' | 'POST', URLSearchParams | undefined> = {
      signal: () => AbortSignal.timeout(config.timeoutMs),
    }
    if (config.allowInsecureRequests) options[oauth.allowInsecureRequests] = true
    if (config.fetch) {
      const customFetch = config.fetch
      options[oauth.customFetch] = (url, init) => customFetch(url, init as RequestInit)
    }
    if (extra !== undefined && 'DPoP' in extra && extra.DPoP !== undefined) {
      // Every answer may carry a new DPoP nonce: remember it for every session's next proof.
      const send = options[oauth.customFetch] ?? ((url, init) => fetch(url, init as RequestInit))
      options[oauth.customFetch] = async (url, init) => {
        const response = await send(url, init)
        dpopNonces.observe(url, response)
        return response
      }
    }
    return { ...options, ...(extra ?? {}) } as T & typeof options
  }

  interface Entry {
    at: number
    value: Promise<oauth.AuthorizationServer>
    settled: boolean
  }
  let cached: Entry | undefined
  let failure: { at: number; error: unknown } | undefined
  const metadata = (): Promise<oauth.AuthorizationServer> => {
    const now = Date.now()
    if (cached && now - cached.at < DISCOVERY_TTL_MS) return follow(cached)
    if (failure && now - failure.at < DISCOVERY_COOLDOWN_MS) return Promise.reject(failure.error)
    const entry: Entry = {
      at: now,
      settled: false,
      value: (async () => {
        try {
          return await discover(config.issuer, { ...http(), algorithm: 'oidc' })
        } catch (error) {
          // A configuration error (an issuer mismatch) passes through: it is not an outage.
          if (error instanceof OidcSessionError) throw error
          throw new DiscoveryError(
            `discovery of the provider's metadata failed: ${describe(error)}`,
            { cause: safeCause(error) },
          )
        }
      })(),
    }
    cached = entry
    entry.value.then(
      () => {
        entry.settled = true
        failure = undefined
      },
      (error: unknown) => {
        entry.settled = true
        // Clear only if still current (another call may have replaced it).
        if (cached === entry) cached = undefined
        failure = { at: Date.now(), error }
      },
    )
    return entry.value
  }
  /**
   * Join a cached discovery. On Cloudflare Workers, a discovery started by a request that has
   * since ended can never settle, and a joiner is rejected at once while the entry never settled:
   * drop it and discover again (a second discovery is harmless).
   */
  const follow = (entry: Entry): Promise<oauth.AuthorizationServer> =>
    entry.settled
      ? entry.value
      : entry.value.catch((error: unknown) => {
          if (entry.settled) throw error
          if (cached === entry) cached = undefined
          return metadata()
        })

  let profiled: { of: Promise<oauth.AuthorizationServer>; value: ProviderProfile } | undefined
  const early = resolveProviderProfile(config.provider, config.issuer)
  const currentProfile = () => profiled?.value ?? early
  const profile = async () => {
    const pending = metadata()
    if (profiled?.of === pending) return profiled.value
    const value = resolveProviderProfile(
      config.provider,
      config.issuer,
      (await pending) as Parameters<typeof resolveProviderProfile>[2],
    )
    profiled = { of: pending, value }
    return value
  }

  return {
    metadata,
    profile,
    currentProfile,
    client,
    clientAuth,
    http,
    options: config,
    dpopNonces,
  }
}

function createClientAuth(config: ProviderOptions): oauth.ClientAuth {
  const { client } = config
  switch (client.authMethod) {
    case 'client_secret_basic':
      return oauth.ClientSecretBasic(client.secret as string)
    case 'client_secret_post':
      return oauth.ClientSecretPost(client.secret as string)
    case 'private_key_jwt': {
      const key = client.privateKey as CryptoKey | { key: CryptoKey; kid?: string }
      return oauth.PrivateKeyJwt(
        'key' in key && !(key instanceof CryptoKey) ? key : { key: key as CryptoKey },
      )
    }
    case 'none':
      return oauth.None()
  }
}

/** A short, secret-free description of an error for messages. */
export function describe(error: unknown): string {
  if (error instanceof oauth.ResponseBodyError) return `${error.error} (HTTP ${error.status})`
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out'
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' ? code : error.name
  }
  return 'unknown error'
}

/**
 * What may ride along as the `cause` of our errors: the failure's name, HTTP status and OAuth
 * `error`/`error_description`, never the original error. `oauth4webapi` errors keep the whole
 * response body (every token of a token response) or the callback parameters (the authorization
 * code, the expected `state`) in their own `cause`, and error reporters serialise cause chains.
 */
export class ProviderErrorDetails extends Error {
  /** HTTP status of the provider's answer, when there was one. */
  readonly status: number | undefined
  /** OAuth `error` code, when the provider answered one. */
  readonly error: string | undefined
  /** OAuth `error_description`, when the provider answered one (at most 200 characters). */
  readonly errorDescription: string | undefined
  /** The `code` of the original error (`oauth4webapi` codes such as `OAUTH_RESPONSE_IS_NOT_JSON`). */
  readonly code: string | undefined

  constructor(error: unknown) {
    super(describe(error))
    this.name = 'ProviderErrorDetails'
    this.status = statusOf(error)
    const code = (error as { code?: unknown } | null)?.code
    this.code = typeof code === 'string' ? code : undefined
    if (
      error instanceof oauth.ResponseBodyError ||
      error instanceof oauth.AuthorizationResponseError
    ) {
      this.error = error.error
      this.errorDescription = error.error_description?.slice(0, 200)
    } else {
      this.error = undefined
      this.errorDescription = undefined
    }
    // The stack names our frames only (the original's may quote nothing secret, but its cause can).
  }
}

/** The secret-free stand-in for `error` to use as a `cause`. */
export function safeCause(error: unknown): ProviderErrorDetails {
  return error instanceof ProviderErrorDetails ? error : new ProviderErrorDetails(error)
}

/** The OAuth `error` of a `WWW-Authenticate` challenge (`Bearer error="invalid_token"`). */
export function challengeError(error: oauth.WWWAuthenticateChallengeError): string | undefined {
  for (const challenge of error.cause) {
    const value = challenge.parameters.error
    if (typeof value === 'string' && value !== '') return value
  }
  return undefined
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof oauth.ResponseBodyError) return error.status
  if (error instanceof oauth.WWWAuthenticateChallengeError) return error.status
  const cause = (error as { cause?: unknown } | undefined)?.cause
  return cause instanceof Response ? cause.status : undefined
}

/**
 * Map what a provider call threw to a typed error: transport failures, timeouts, 5xx and bodies
 * that are not JSON become {@link ProviderUnavailableError} (transient); other protocol failures
 * become {@link ProviderResponseError}. Typed errors pass through.
 *
 * @param what the operation, for the message (`refresh`, `code exchange`…)
 */
export function providerFailure(error: unknown, what: string): OidcSessionError {
  if (error instanceof OidcSessionError) return error
  const status = statusOf(error)
  const code = (error as { code?: unknown } | undefined)?.code
  const transient =
    (status !== undefined && (status >= 500 || status === 429)) ||
    code === oauth.RESPONSE_IS_NOT_JSON ||
    code === oauth.PARSE_ERROR ||
    (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) ||
    (error instanceof TypeError &&
      !(error as { code?: unknown }).code?.toString().startsWith('ERR_INVALID'))
  const message = `${what} failed: ${describe(error)}${status !== undefined && !(error instanceof oauth.ResponseBodyError) ? ` (HTTP ${status})` : ''}`
  const cause = safeCause(error)
  return transient
    ? new ProviderUnavailableError(message, { cause })
    : new ProviderResponseError(message, { cause })
}
