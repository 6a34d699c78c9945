/**
 * gangway/redis — scale out over Redis pub/sub (needs the optional peer `ioredis`).
 *
 * @example
 * import { createGateway } from 'gangway'
 * import { redisCluster } from 'gangway/redis'
 *
 * const cluster = redisCluster(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
 * const app = createGateway({ gateways: [new ChatGateway()], adapter: cluster })
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
