/**
 * gangway-ws/client for browsers: the same API as the Node entry, on the platform's
 * `WebSocket`, with no Node built-ins. Bundlers pick it through the `browser`
 * export condition of `gangway-ws/client`.
 *
 * @example
 * import { createClient } from 'gangway-ws/client'
 *
 * const client = createClient('/ws') // resolved against the page: ws(s)://<host>/ws
 * client.onStatus(({ status }) => (badge.textContent = status))
 */
import { GatewayError } from '../errors/gateway-error.js'
import { resolveClientOptions, type ClientOptions } from './client-options.js'
import type { ContractLike, GatewayContract } from './contract.js'
import type { GatewayClient } from './gateway-client.js'
import { ReconnectingClient } from './reconnecting-client.js'
import type { ClientUrl, WebSocketConstructor } from './websocket-like.js'

export * from './public-api.js'

/**
 * Creates a client and starts connecting, on `globalThis.WebSocket` unless
 * `options.WebSocket` names another. Throws `CONFIG_INVALID` for bad options.
 */
export function createClient<G extends ContractLike = GatewayContract>(url: ClientUrl, options: ClientOptions = {}): GatewayClient<G> {
  if (options?.headers !== undefined) {
    throw new GatewayError('CONFIG_INVALID', 'Option "headers" is not available in browsers, which cannot set WebSocket headers; use a query parameter, a cookie or "protocols"')
  }
  const platform = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  return new ReconnectingClient<G>(url, resolveClientOptions(options, platform))
}
