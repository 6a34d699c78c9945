import { ClusterAdapter, type ClusterOptions } from '../index.js'
import { RedisBus } from './redis-bus.js'
import { RedisHistoryStore } from './redis-history-store.js'
import type { RedisClientLike } from './redis-client-like.js'
import type { RedisBusOptions } from './redis-options.js'

/** Options of `redisCluster`: the cluster's and the Redis bus's. */
export interface RedisClusterOptions extends ClusterOptions, RedisBusOptions {}

/**
 * A cluster adapter on Redis pub/sub. Pass a URL (`redis://`, `rediss://`) or
 * an ioredis client you already configured (TLS, auth, Sentinel): gangway
 * duplicates it into the two connections it needs and never closes yours.
 * With the app's `history` option, rooms' histories live in Redis Streams on the
 * same server (`RedisHistoryStore`, three more connections).
 *
 * @example
 * const cluster = redisCluster('redis://127.0.0.1:6379')
 * createGateway({ gateways, adapter: cluster })
 * cluster.on('state', (state) => console.log('cluster', state))
 */
export function redisCluster(connection: string | RedisClientLike, options: RedisClusterOptions = {}): ClusterAdapter {
  const { maxReconnectDelayMs, ...clusterOptions } = options
  const historyStore = (prefix: string) => new RedisHistoryStore(connection, { prefix, maxReconnectDelayMs })
  return new ClusterAdapter(new RedisBus(connection, { maxReconnectDelayMs }), clusterOptions, historyStore)
}
