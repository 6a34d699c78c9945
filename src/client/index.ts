/**
 * gangway-ws/client — a typed client for gangway gateways, for Node and browsers.
 * Requests with exactly one outcome, pushes, rooms re-joined after reconnect,
 * exponential backoff with full jitter, a bounded offline queue.
 *
 * This is the Node entry: it connects with `ws`. Bundlers targeting browsers pick
 * `browser.ts` through the `browser` export condition, which uses the platform's
 * `WebSocket` and holds no Node built-ins.
 *
 * @example
 * import { createClient, GatewayError } from 'gangway-ws/client'
 * import type { chatGateway } from './chat-gateway.js' // a defineGateway(...) builder
 *
 * const client = createClient<typeof chatGateway>('ws://localhost:3000/ws')
 * client.on('message', (data) => console.log(data))
 * await client.join('lobby')
 * try {
 *   const reply = await client.request('echo', 'hi', { timeoutMs: 2000 })
 * } catch (error) {
 *   if (error instanceof GatewayError && error.code === 'TIMEOUT') retryLater()
 * }
 */
import WebSocket from 'ws'
import { resolveClientOptions, type ClientOptions } from './client-options.js'
import type { ContractLike, GatewayContract } from './contract.js'
import type { GatewayClient } from './gateway-client.js'
import { ReconnectingClient } from './reconnecting-client.js'
import type { ClientUrl, WebSocketConstructor } from './websocket-like.js'

export * from './public-api.js'

/**
 * Creates a client and starts connecting. Type it with a gateway builder's type
 * (`createClient<typeof chat>(url)`) or a contract (`createClient<ChatContract>(url)`).
 * Throws `CONFIG_INVALID` for bad options or a bad static URL.
 */
export function createClient<G extends ContractLike = GatewayContract>(url: ClientUrl, options: ClientOptions = {}): GatewayClient<G> {
  return new ReconnectingClient<G>(url, resolveClientOptions(options, WebSocket as unknown as WebSocketConstructor))
}
