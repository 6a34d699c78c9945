/**
 * gangway-ws/redis — Redis for gangway: scale out across nodes over pub/sub
 * (`redisCluster`) and forward frames to microservices over Streams
 * (`redisTransport`). Both take a Redis URL or an ioredis client of your own
 * (duplicated, never closed). Needs the optional peer dependency `ioredis`.
 *
 * @example
 * import { createGateway } from 'gangway-ws'
 * import { redisCluster, redisTransport } from 'gangway-ws/redis'
 *
 * const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
 * const app = createGateway({
 *   gateways: [new ChatGateway()],
 *   adapter: redisCluster(url),
 *   transport: redisTransport(url),
 * })
 * await app.listen(3000)
 */
export { redisCluster, type RedisClusterOptions } from './redis-cluster.js'
export { redisTransport, type RedisTransportOptions } from './redis-transport.js'
export { RedisBus } from './redis-bus.js'
export { RedisHistoryStore, redisHistoryStore, type RedisHistoryStoreOptions } from './redis-history-store.js'
export { RedisLink } from './redis-link.js'
export { NestRedisLink } from './nest-redis-link.js'
export {
  DEFAULT_MAX_RECONNECT_DELAY_MS,
  DEFAULT_REDIS_BUS_OPTIONS,
  DEFAULT_REDIS_CONNECTION_OPTIONS,
  DEFAULT_REDIS_LINK_OPTIONS,
  resolveRedisBusOptions,
  resolveRedisLinkOptions,
  type RedisBusOptions,
  type RedisConnectionOptions,
  type RedisLinkOptions,
  type ResolvedRedisBusOptions,
  type ResolvedRedisConnectionOptions,
  type ResolvedRedisLinkOptions,
} from './redis-options.js'
export type { RedisClientLike, RedisConnectionLike, RedisConnectionSettings, RedisPipelineLike } from './redis-client-like.js'
