import { silentLogger, Transport, type TransportOptions } from '../index.js'
import { RedisLink, type RedisLinkOptions } from './redis-link.js'

/** Options of `redisTransport`. */
export interface RedisTransportOptions extends TransportOptions, RedisLinkOptions {}

/**
 * The bridge over Redis (ioredis): requests on Redis Streams with consumer
 * groups (at-least-once: acknowledged after the handler, re-claimed from a
 * dead worker), replies and pushes on pub/sub.
 *
 * @example
 * import { redisTransport } from 'gangway-ws/redis'
 * const transport = redisTransport({ url: 'redis://127.0.0.1:6379' })
 */
export function redisTransport(options: RedisTransportOptions = {}): Transport {
  let transport: Transport | undefined = undefined
  const link = new RedisLink(options, () => transport?.logger ?? silentLogger)
  transport = new Transport(link, options)
  return transport
}
