import { ClusterAdapter, type ClusterOptions } from '../index.js'
import { NatsBus, type NatsBusOptions, type NatsConnectionLike } from './cluster-nats-bus.js'

/** Options of `natsCluster`: the cluster's and the NATS bus's. */
export interface NatsClusterOptions extends ClusterOptions, NatsBusOptions {}

/**
 * A cluster adapter on core NATS. Pass a URL (`nats://host:4222`, several
 * comma-separated) or a `NatsConnection` you already have (it is left open
 * when the gateway closes).
 *
 * @example
 * const cluster = natsCluster('nats://127.0.0.1:4222')
 * createGateway({ gateways, adapter: cluster })
 */
export function natsCluster(connection: string | NatsConnectionLike, options: NatsClusterOptions = {}): ClusterAdapter {
  const { pingIntervalMs, reconnectTimeWaitMs, ...clusterOptions } = options
  return new ClusterAdapter(new NatsBus(connection, { pingIntervalMs, reconnectTimeWaitMs }), clusterOptions)
}
