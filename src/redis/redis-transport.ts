import { linkForWire, silentLogger, Transport, type TransportOptions, type WireOptions } from '../internal.js'
import { NestRedisLink } from './nest-redis-link.js'
import type { RedisClientLike } from './redis-client-like.js'
import { RedisLink } from './redis-link.js'
import { resolveRedisLinkOptions, type RedisLinkOptions } from './redis-options.js'

/** Options of `redisTransport`: the transport's, the Redis link's, and the wire's. */
export interface RedisTransportOptions extends TransportOptions, RedisLinkOptions, WireOptions {}

/**
 * The bridge over Redis (ioredis): requests on Redis Streams with consumer
 * groups (at-least-once: acknowledged after the handler, re-claimed from a
 * dead worker), replies and pushes on pub/sub. Pass a URL (`redis://`,
 * `rediss://`) or an ioredis client you already configured: gangway
 * duplicates it into the connections it needs and never closes yours.
 *
 * @example
 * import { redisTransport } from 'gangway-ws/redis'
 * const transport = redisTransport('redis://127.0.0.1:6379', { prefix: 'chat' })
 * // An unmodified NestJS microservice on Transport.REDIS:
 * const nest = redisTransport('redis://127.0.0.1:6379', { wire: 'nest' })
 */
export function redisTransport(connection: string | RedisClientLike, options: RedisTransportOptions = {}): Transport {
  let transport: Transport | undefined = undefined
  const logger = () => transport?.logger ?? silentLogger
  const gangway = new RedisLink(connection, options, logger)
  const link = linkForWire(options, gangway, () => new NestRedisLink(gangway.connection, resolveRedisLinkOptions(options).connectTimeoutMs, logger), logger)
  transport = new Transport(link, options)
  return transport
}
