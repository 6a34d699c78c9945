import { linkForWire, silentLogger, Transport, type TransportOptions, type WireOptions } from '../internal.js'
import type { AmqpConnectionLike } from './amqp-connection-like.js'
import { AmqpLink } from './amqp-link.js'
import { resolveNestAmqpOptions, type AmqpLinkOptions, type NestAmqpOptions } from './amqp-options.js'
import { NestAmqpLink } from './nest-amqp-link.js'

/** Options of `amqpTransport`: the transport's, the RabbitMQ link's, and the NestJS wire's. */
export interface AmqpTransportOptions extends TransportOptions, AmqpLinkOptions, WireOptions, NestAmqpOptions {}

/**
 * The bridge over RabbitMQ (amqplib). At-least-once: durable request queues,
 * publisher confirms, manual acks after the handler finished, so a worker
 * that dies mid-message has it redelivered to another; automatic reconnect
 * with backoff re-declares every channel, queue and consumer. Pass a URL
 * (`amqp://`, `amqps://`) or an amqplib connection you already have
 * (`ChannelModel`, or a recovering one from amqplib 2.1+): gangway opens its
 * own channels on it and never closes it.
 *
 * @example
 * import { createGateway, createMicroservice } from 'gangway-ws'
 * import { amqpTransport } from 'gangway-ws/amqp'
 *
 * const transport = amqpTransport('amqp://guest:guest@127.0.0.1:5672')
 * createMicroservice({ transport }).handle('demo.ask', (data) => ({ answer: data }))
 *
 * // An unmodified NestJS microservice on Transport.RMQ, queue 'orders':
 * const orders = amqpTransport('amqp://guest:guest@127.0.0.1:5672', { wire: 'nest', queue: 'orders' })
 */
export function amqpTransport(connection: string | AmqpConnectionLike, options: AmqpTransportOptions = {}): Transport {
  let transport: Transport | undefined = undefined
  const logger = () => transport?.logger ?? silentLogger
  const gangway = new AmqpLink(connection, options, logger)
  const link = linkForWire(options, gangway, () => new NestAmqpLink(gangway.connection, resolveNestAmqpOptions(options), logger), logger)
  transport = new Transport(link, options)
  return transport
}
