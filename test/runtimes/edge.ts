/**
 * A stand-in for Cloudflare's edge in front of the test app, for the Workers experiments: it
 * passes every request to the app through a service binding, except that a request carrying
 * `x-edge-id: <id>` can be cancelled later by `POST /__edge/cancel?id=<id>`. Cancelling answers
 * that request with 499 at once and drops the app's subrequest — as the Workers runtime cancels
 * an invocation whose client disconnected (trace outcome `canceled`); workerd run locally does
 * not notice a client that goes away, so this worker plays that part.
 */

/** The bindings of this worker. */
interface EdgeEnv {
  APP: { fetch(request: Request): Promise<Response> }
}

const cancels = new Map<string, () => void>()

export default {
  /**
   * Pass `request` to the app, or cancel a held request.
   *
   * @param request the request
   * @param env the service binding to the app
   * @returns the app's response, or 499 when cancelled
   */
  async fetch(request: Request, env: EdgeEnv): Promise<Response> {
    const url = new URL(request.url)
    if (request.method === 'POST' && url.pathname === '/__edge/cancel') {
      const id = url.searchParams.get('id') ?? ''
      const cancel = cancels.get(id)
      cancels.delete(id)
      cancel?.()
      return new Response(cancel ? 'cancelled' : 'unknown id', { status: cancel ? 200 : 404 })
    }
    const id = request.headers.get('x-edge-id')
    if (id === null) return env.APP.fetch(request)
    // Created in this request and settled from the cancel request while this one is alive: a
    // cross-request settle that workerd allows (the creator is still running).
    // The response is built here, in this request: a body created in the cancel request could not
    // be read from this one ("Cannot perform I/O on behalf of a different request").
    const cancelled = new Promise<void>((resolve) => cancels.set(id, resolve)).then(
      () => new Response('cancelled by the edge', { status: 499 }),
    )
    return Promise.race([env.APP.fetch(request), cancelled])
  },
}
