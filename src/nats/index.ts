/**
 * gangway-ws/nats — NATS for gangway: scale out across nodes (`natsCluster`) and
 * forward frames to microservices (`natsTransport`). Needs the optional peer
 * dependency `@nats-io/transport-node` (the current NATS client; the `nats`
 * package is its older line), and `@nats-io/jetstream` for `jetstream: true`.
 *
 * @example
 * import { createGateway } from 'gangway-ws'
 * import { natsCluster, natsTransport } from 'gangway-ws/nats'
 *
 * const app = createGateway({
 *   gateways: [new ChatGateway()],
 *   adapter: natsCluster(process.env.NATS_URL ?? 'nats://127.0.0.1:4222'),
 *   transport: natsTransport({ servers: process.env.NATS_URL }),
 * })
 * await app.listen(3000)
 */
export { natsCluster, type NatsClusterOptions } from './cluster-nats.js'
export {
  NatsBus,
  DEFAULT_NATS_PING_INTERVAL_MS,
  DEFAULT_NATS_RECONNECT_TIME_WAIT_MS,
  type NatsBusOptions,
  type NatsConnectionLike,
  type NatsMessageLike,
  type NatsSubscriptionLike,
} from './cluster-nats-bus.js'
export { natsTransport, type NatsTransportOptions } from './nats-transport.js'
export { NatsLink, type NatsLinkOptions } from './nats-link.js'
export type { JetStreamOptions } from './nats-jetstream-queues.js'
