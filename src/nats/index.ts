/**
 * `gangway/nats` — NATS for gangway. Needs the optional peer dependency
 * `@nats-io/transport-node` (the current NATS client; the `nats` package is
 * its older line), and `@nats-io/jetstream` for `jetstream: true`.
 *
 * @example
 * import { natsTransport } from 'gangway/nats'
 * const app = createGateway({ gateways: [new ChatGateway()], transport: natsTransport({ servers: process.env.NATS_URL }) })
 */
export { natsTransport, type NatsTransportOptions } from './nats-transport.js'
export { NatsLink, type NatsLinkOptions } from './nats-link.js'
export type { JetStreamOptions } from './nats-jetstream-queues.js'
