/**
 * `oidc-session/ajax`: the request classifier alone, for edge middleware and front proxies.
 *
 * @module oidc-session/ajax
 */
export { classifyRequest, isAjax } from '../request/is-ajax.js'
export type { AjaxReason, ClassifyOptions } from '../request/is-ajax.js'
export type { HeaderRecord, HeadersInput, RequestLike } from '../request/headers.js'
