import { silentLogger, Transport, type TransportOptions } from '../index.js'
import { NatsLink, type NatsLinkOptions } from './nats-link.js'

/** Options of `natsTransport`. */
export interface NatsTransportOptions extends TransportOptions, NatsLinkOptions {}

/**
 * The bridge over NATS (`@nats-io/transport-node`). Core NATS queue groups by
 * default (at-most-once, fastest; a request nobody handles is answered
 * `UNAVAILABLE` at once); `jetstream: true` for at-least-once work queues.
 *
 * @example
 * import { natsTransport } from 'gangway-ws/nats'
 * const transport = natsTransport({ servers: 'nats://127.0.0.1:4222' })
 */
export function natsTransport(options: NatsTransportOptions = {}): Transport {
  let transport: Transport | undefined = undefined
  const link = new NatsLink(options, () => transport?.logger ?? silentLogger)
  transport = new Transport(link, options)
  return transport
}
