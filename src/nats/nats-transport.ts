import { silentLogger, Transport, type TransportOptions } from '../index.js'
import type { NatsConnectionLike } from './nats-connection-like.js'
import { NatsLink } from './nats-link.js'
import type { NatsLinkOptions } from './nats-options.js'

/** Options of `natsTransport`: the transport's and the NATS link's. */
export interface NatsTransportOptions extends TransportOptions, NatsLinkOptions {}

/**
 * The bridge over NATS (`@nats-io/transport-node`). Core NATS queue groups by
 * default (at-most-once, fastest; a request nobody handles is answered
 * `UNAVAILABLE` at once); `jetstream: true` for at-least-once work queues.
 * Pass a URL (`nats://host:4222`), several (an array), or a `NatsConnection`
 * you already have (gangway never closes it).
 *
 * @example
 * import { natsTransport } from 'gangway-ws/nats'
 * const transport = natsTransport('nats://127.0.0.1:4222', { prefix: 'chat' })
 */
export function natsTransport(connection: string | readonly string[] | NatsConnectionLike, options: NatsTransportOptions = {}): Transport {
  let transport: Transport | undefined = undefined
  const link = new NatsLink(connection, options, () => transport?.logger ?? silentLogger)
  transport = new Transport(link, options)
  return transport
}
