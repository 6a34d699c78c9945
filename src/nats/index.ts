/**
 * gangway/nats — scale out over core NATS (needs the optional peer `@nats-io/transport-node`).
 *
 * @example
 * import { createGateway } from 'gangway'
 * import { natsCluster } from 'gangway/nats'
 *
 * const cluster = natsCluster(process.env.NATS_URL ?? 'nats://127.0.0.1:4222')
 * const app = createGateway({ gateways: [new ChatGateway()], adapter: cluster })
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
