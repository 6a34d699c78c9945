import { silentLogger, Transport, type TransportOptions } from '../index.js'
import type { RedisClientLike } from './redis-client-like.js'
import { RedisLink } from './redis-link.js'
import type { RedisLinkOptions } from './redis-options.js'

/** Options of `redisTransport`: the transport's and the Redis link's. */
export interface RedisTransportOptions extends TransportOptions, RedisLinkOptions {}

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
 */
export function redisTransport(connection: string | RedisClientLike, options: RedisTransportOptions = {}): Transport {
  let transport: Transport | undefined = undefined
  const link = new RedisLink(connection, options, () => transport?.logger ?? silentLogger)
  transport = new Transport(link, options)
  return transport
}
