/**
 * gangway-ws/nats — NATS for gangway: scale out across nodes (`natsCluster`) and
 * forward frames to microservices (`natsTransport`). Both take a NATS URL (or
 * several) or a `NatsConnection` of your own (never closed). Needs the
 * optional peer dependency `@nats-io/transport-node` (the current NATS
 * client; the `nats` package is its older line), and `@nats-io/jetstream` for
 * `jetstream: true`.
 *
 * @example
 * import { createGateway } from 'gangway-ws'
 * import { natsCluster, natsTransport } from 'gangway-ws/nats'
 *
 * const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
 * const app = createGateway({
 *   gateways: [new ChatGateway()],
 *   adapter: natsCluster(url),
 *   transport: natsTransport(url),
 * })
 * await app.listen(3000)
 */
export { natsCluster, type NatsClusterOptions } from './nats-cluster.js'
export { natsTransport, type NatsTransportOptions } from './nats-transport.js'
export { NatsBus } from './nats-bus.js'
export { NatsHistoryStore, natsHistoryStore, type NatsHistoryStoreOptions } from './nats-history-store.js'
export { NatsLink } from './nats-link.js'
export { NestNatsLink } from './nest-nats-link.js'
export {
  DEFAULT_JETSTREAM_OPTIONS,
  DEFAULT_NATS_BUS_OPTIONS,
  DEFAULT_NATS_CONNECTION_OPTIONS,
  DEFAULT_NATS_LINK_OPTIONS,
  DEFAULT_NATS_PING_INTERVAL_MS,
  DEFAULT_NATS_RECONNECT_TIME_WAIT_MS,
  resolveNatsBusOptions,
  resolveNatsLinkOptions,
  type JetStreamOptions,
  type NatsBusOptions,
  type NatsConnectionOptions,
  type NatsLinkOptions,
  type ResolvedJetStreamOptions,
  type ResolvedNatsBusOptions,
  type ResolvedNatsConnectionOptions,
  type ResolvedNatsLinkOptions,
} from './nats-options.js'
export type { NatsConnectionLike, NatsMessageLike, NatsSubscriptionLike } from './nats-connection-like.js'
