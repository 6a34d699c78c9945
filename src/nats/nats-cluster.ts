import { ClusterAdapter, type ClusterOptions } from '../index.js'
import { NatsBus } from './nats-bus.js'
import { NatsHistoryStore } from './nats-history-store.js'
import type { NatsConnectionLike } from './nats-connection-like.js'
import type { NatsBusOptions } from './nats-options.js'

/** Options of `natsCluster`: the cluster's and the NATS bus's. */
export interface NatsClusterOptions extends ClusterOptions, NatsBusOptions {}

/**
 * A cluster adapter on core NATS. Pass a URL (`nats://host:4222`), several
 * (an array), or a `NatsConnection` you already have (it is left open when
 * the gateway closes). With the app's `history` option, rooms' histories live in a
 * JetStream stream on the same servers (`NatsHistoryStore`; needs `@nats-io/jetstream`).
 *
 * @example
 * const cluster = natsCluster('nats://127.0.0.1:4222')
 * createGateway({ gateways, adapter: cluster })
 */
export function natsCluster(connection: string | readonly string[] | NatsConnectionLike, options: NatsClusterOptions = {}): ClusterAdapter {
  const { pingIntervalMs, reconnectTimeWaitMs, connectTimeoutMs, ...clusterOptions } = options
  const historyStore = (prefix: string) => new NatsHistoryStore(connection, { prefix })
  return new ClusterAdapter(new NatsBus(connection, { pingIntervalMs, reconnectTimeWaitMs, connectTimeoutMs }), clusterOptions, historyStore)
}
