/**
 * `gangway-ws/amqp` — the microservice bridge over RabbitMQ (`amqpTransport`),
 * from an AMQP URL or an amqplib connection of your own (never closed). Needs
 * the optional peer dependency `amqplib` (2.1 or later: it brings connection
 * recovery).
 *
 * @example
 * import { amqpTransport } from 'gangway-ws/amqp'
 * const transport = amqpTransport(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672')
 * const app = createGateway({ gateways: [new ChatGateway()], transport })
 */
export { amqpTransport, type AmqpTransportOptions } from './amqp-transport.js'
export { AmqpLink } from './amqp-link.js'
export { NestAmqpLink } from './nest-amqp-link.js'
export {
  DEFAULT_AMQP_CONNECTION_OPTIONS,
  DEFAULT_AMQP_LINK_OPTIONS,
  DEFAULT_MAX_BLOCKED_BYTES,
  DEFAULT_NEST_AMQP_OPTIONS,
  resolveAmqpLinkOptions,
  resolveNestAmqpOptions,
  type NestAmqpOptions,
  type ResolvedNestAmqpOptions,
  type AmqpConnectionOptions,
  type AmqpLinkOptions,
  type ResolvedAmqpConnectionOptions,
  type ResolvedAmqpLinkOptions,
} from './amqp-options.js'
export type { AmqpChannelSource, AmqpConnectionLike } from './amqp-connection-like.js'
