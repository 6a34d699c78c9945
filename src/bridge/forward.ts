import { GatewayError } from '../errors/gateway-error.js'
import type { Client } from '../contracts/client-server.js'
import type { FrameInfo, Handler } from '../contracts/handler.js'
import { patternRoute, type MessagePattern } from './message-pattern.js'

/** Options of `forward`. */
export interface ForwardOptions {
  /**
   * How long to wait for the service's reply before answering `TIMEOUT`. A client's
   * own deadline (the frame's `deadline`, which `gangway-ws/client` sends from its
   * `timeoutMs`) can shorten it, never extend it. @default the transport's `timeoutMs` (10000)
   */
  timeoutMs?: number
  /** Extra metadata for the service, computed per frame (merged under the standard fields). @default none */
  meta?: (client: Client) => Record<string, unknown>
}

/** What `forward()` records on the handler it returns; bound to the app's transport at mount. */
export interface ForwardBinding {
  /** The pattern's route (see `patternRoute`). */
  readonly pattern: string
  readonly options: Readonly<ForwardOptions>
}

const kForward = Symbol.for('gangway.forward')

/**
 * Declares a handler that forwards its frames to a microservice over the app's
 * transport (`createGateway({ transport })`; in-process when none is given).
 * A pattern is a string (`'demo.ask'`) or, for a NestJS service, an object
 * pattern (`{ cmd: 'sum' }`). The service's reply becomes the reply frame for the client's `id`; its
 * `WsError` becomes the same error frame; any other failure `INTERNAL`; no
 * answer in time `TIMEOUT`; a broker that cannot take the message
 * `UNAVAILABLE` (or `BUSY` under flow control). A frame without `id` is sent
 * as an event: no reply is awaited.
 *
 * Works as a decorated field and with the builder:
 *
 * @example
 * @Gateway({ path: '/ws' })
 * class ChatGateway {
 *   @Subscribe('ask') ask = forward('demo.ask', { timeoutMs: 5000 })
 * }
 * defineGateway({ path: '/ws' }).subscribe('ask', forward('demo.ask'))
 */
export function forward<In = unknown, Out = unknown>(pattern: MessagePattern, options: ForwardOptions = {}): Handler<In, Promise<Out>> {
  let route: string
  try {
    route = patternRoute(pattern)
  } catch (cause) {
    throw new GatewayError('CONFIG_INVALID', `forward(): ${(cause as Error).message}`, { cause })
  }
  if (options.timeoutMs !== undefined && (!Number.isSafeInteger(options.timeoutMs) || options.timeoutMs <= 0)) {
    throw new GatewayError('CONFIG_INVALID', `forward('${route}'): "timeoutMs" must be a positive integer`)
  }
  if (options.meta !== undefined && typeof options.meta !== 'function') {
    throw new GatewayError('CONFIG_INVALID', `forward('${route}'): "meta" must be a function of the client`)
  }
  const binding: ForwardBinding = Object.freeze({ pattern: route, options: Object.freeze({ ...options }) })
  const unbound = ((_data: In, _client: Client, _frame?: FrameInfo) => {
    // Only reachable when the handler is called outside a gateway app (the app binds it at mount).
    return Promise.reject(new GatewayError('CONFIG_INVALID', `forward('${route}') runs only inside a gateway app`))
  }) as Handler<In, Promise<Out>> & { [kForward]?: ForwardBinding }
  unbound[kForward] = binding
  return unbound
}

/** The forward binding of a handler, if `forward()` made it. */
export function forwardBindingOf(handler: unknown): ForwardBinding | undefined {
  return typeof handler === 'function' ? (handler as { [kForward]?: ForwardBinding })[kForward] : undefined
}
