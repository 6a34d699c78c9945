/**
 * `gangway/redis` — Redis for gangway. Needs the optional peer dependency `ioredis`.
 *
 * @example
 * import { redisTransport } from 'gangway/redis'
 * const app = createGateway({ gateways: [new ChatGateway()], transport: redisTransport({ url: process.env.REDIS_URL }) })
 */
export { redisTransport, type RedisTransportOptions } from './redis-transport.js'
export { RedisLink, type RedisLinkOptions } from './redis-link.js'
