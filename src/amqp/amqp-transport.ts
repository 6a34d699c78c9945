import { silentLogger, Transport, type TransportOptions } from '../index.js'
import { AmqpLink, type AmqpLinkOptions } from './amqp-link.js'

/** Options of `amqpTransport`. */
export interface AmqpTransportOptions extends TransportOptions, AmqpLinkOptions {}

/**
 * The bridge over RabbitMQ (amqplib). At-least-once: durable request queues,
 * publisher confirms, manual acks after the handler finished, so a worker
 * that dies mid-message has it redelivered to another; automatic reconnect
 * with backoff re-declares every channel, queue and consumer.
 *
 * @example
 * import { createGateway, createMicroservice } from 'gangway-ws'
 * import { amqpTransport } from 'gangway-ws/amqp'
 *
 * const transport = amqpTransport({ url: 'amqp://guest:guest@127.0.0.1:5672' })
 * createMicroservice({ transport }).handle('demo.ask', (data) => ({ answer: data }))
 */
export function amqpTransport(options: AmqpTransportOptions = {}): Transport {
  let transport: Transport | undefined = undefined
  const link = new AmqpLink(options, () => transport?.logger ?? silentLogger)
  transport = new Transport(link, options)
  return transport
}
