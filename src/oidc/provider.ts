/**
 * The provider as the rest of the library sees it: cached discovery, the `oauth4webapi` client and
 * client authentication, HTTP options (timeout, insecure loopback, custom fetch), and the mapping
 * of transport/protocol failures to typed errors.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ResolvedConfig } from '../config.js'
import {
  DiscoveryError,
  OidcSessionError,
  ProviderResponseError,
  ProviderUnavailableError,
} from '../errors.js'

/** Everything a protocol operation needs. */
export interface ProviderContext {
  /** Authorization server metadata (discovered once, cached; failures retried after a cooldown). */
  metadata(): Promise<oauth.AuthorizationServer>
  readonly client: oauth.Client
  readonly clientAuth: oauth.ClientAuth
  /** Options for every `oauth4webapi` request: timeout signal, custom fetch, insecure loopback. */
  http<T extends object = object>(
    extra?: T,
  ): T & oauth.HttpRequestOptions<'GET' | 'POST', URLSearchParams | undefined>
  readonly config: ResolvedConfig
}

const DISCOVERY_TTL_MS = 24 * 3600 * 1000
const DISCOVERY_COOLDOWN_MS = 1000

/** Build the {@link ProviderContext} for a resolved configuration. */
export function createProviderContext(config: ResolvedConfig): ProviderContext {
  const client: oauth.Client = {
    client_id: config.client.id,
    [oauth.clockTolerance]: config.clockToleranceSeconds,
  }
  if (config.client.idTokenSignedResponseAlg)
    client.id_token_signed_response_alg = config.client.idTokenSignedResponseAlg
  const clientAuth = createClientAuth(config)

  const http = <T extends object>(extra?: T) => {
    const options: oauth.HttpRequestOptions<'GET' | 'POST', URLSearchParams | undefined> = {
      signal: () => AbortSignal.timeout(config.timeoutMs),
    }
    if (config.allowInsecureRequests) options[oauth.allowInsecureRequests] = true
    if (config.fetch) {
      const customFetch = config.fetch
      options[oauth.customFetch] = (url, init) => customFetch(url, init as RequestInit)
    }
    return { ...options, ...(extra ?? {}) } as T & typeof options
  }

  let cached: { at: number; value: Promise<oauth.AuthorizationServer> } | undefined
  let failure: { at: number; error: unknown } | undefined
  const metadata = () => {
    const now = Date.now()
    if (cached && now - cached.at < DISCOVERY_TTL_MS) return cached.value
    if (failure && now - failure.at < DISCOVERY_COOLDOWN_MS) return Promise.reject(failure.error)
    const entry = {
      at: now,
      value: (async () => {
        try {
          const response = await oauth.discoveryRequest(config.issuer, {
            ...http(),
            algorithm: 'oidc',
          })
          return await oauth.processDiscoveryResponse(config.issuer, response)
        } catch (error) {
          throw new DiscoveryError(
            `discovery of the provider's metadata failed: ${describe(error)}`,
            { cause: error },
          )
        }
      })(),
    }
    cached = entry
    entry.value.then(
      () => {
        failure = undefined
      },
      (error: unknown) => {
        // Clear only if still current (another call may have replaced it).
        if (cached === entry) cached = undefined
        failure = { at: Date.now(), error }
      },
    )
    return entry.value
  }

  return { metadata, client, clientAuth, http, config }
}

function createClientAuth(config: ResolvedConfig): oauth.ClientAuth {
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

function statusOf(error: unknown): number | undefined {
  if (error instanceof oauth.ResponseBodyError) return error.status
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
  return transient
    ? new ProviderUnavailableError(message, { cause: error })
    : new ProviderResponseError(message, { cause: error })
}
