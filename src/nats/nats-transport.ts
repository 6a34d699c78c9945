import { invalidOption, linkForWire, silentLogger, Transport, type TransportOptions, type WireOptions } from '../internal.js'
import type { NatsConnectionLike } from './nats-connection-like.js'
import { NatsLink } from './nats-link.js'
import type { NatsLinkOptions } from './nats-options.js'
import { NestNatsLink } from './nest-nats-link.js'

/** Options of `natsTransport`: the transport's, the NATS link's, and the wire's. */
export interface NatsTransportOptions extends TransportOptions, NatsLinkOptions, WireOptions {}

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
 * // An unmodified NestJS microservice on Transport.NATS:
 * const nest = natsTransport('nats://127.0.0.1:4222', { wire: 'nest' })
 */
export function natsTransport(connection: string | readonly string[] | NatsConnectionLike, options: NatsTransportOptions = {}): Transport {
  let transport: Transport | undefined = undefined
  const logger = () => transport?.logger ?? silentLogger
  if (options.wire === 'nest' && options.jetstream) invalidOption('jetstream', "cannot be combined with wire: 'nest' (NestJS speaks core NATS)")
  const gangway = new NatsLink(connection, options, logger)
  const link = linkForWire(options, gangway, () => new NestNatsLink(gangway.connection, logger), logger)
  transport = new Transport(link, options)
  return transport
}
