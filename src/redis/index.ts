/**
 * gangway-ws/redis — Redis for gangway: scale out across nodes over pub/sub
 * (`redisCluster`) and forward frames to microservices over Streams
 * (`redisTransport`). Needs the optional peer dependency `ioredis`.
 *
 * @example
 * import { createGateway } from 'gangway-ws'
 * import { redisCluster, redisTransport } from 'gangway-ws/redis'
 *
 * const app = createGateway({
 *   gateways: [new ChatGateway()],
 *   adapter: redisCluster(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
 *   transport: redisTransport({ url: process.env.REDIS_URL }),
 * })
 * await app.listen(3000)
 */
export { redisCluster, type RedisClusterOptions } from './cluster-redis.js'
export {
  RedisBus,
  DEFAULT_MAX_RECONNECT_DELAY_MS,
  type RedisBusOptions,
  type RedisClientLike,
  type RedisConnectionLike,
  type RedisConnectionSettings,
  type RedisPipelineLike,
} from './cluster-redis-bus.js'
export { redisTransport, type RedisTransportOptions } from './redis-transport.js'
export { RedisLink, type RedisLinkOptions } from './redis-link.js'
