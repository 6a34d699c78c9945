/**
 * `gangway-ws/amqp` — the microservice bridge over RabbitMQ. Needs the optional
 * peer dependency `amqplib` (2.1 or later: it brings connection recovery).
 *
 * @example
 * import { amqpTransport } from 'gangway-ws/amqp'
 * const app = createGateway({ gateways: [new ChatGateway()], transport: amqpTransport({ url: process.env.AMQP_URL }) })
 */
export { amqpTransport, type AmqpTransportOptions } from './amqp-transport.js'
export { AmqpLink, DEFAULT_MAX_BLOCKED_BYTES, type AmqpLinkOptions } from './amqp-link.js'
