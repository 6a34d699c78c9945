// The gangway transport both benchmark processes (gateway and worker) open on the chosen broker.
import type { Transport } from 'gangway-ws'
import { runId, urls, type Broker } from './brokers.js'
import { nestQueue } from './nest-options.js'

export async function gangwayTransport(kind: Broker): Promise<Transport> {
  const prefix = `gangway-${runId}`
  if (kind === 'amqp') return (await import('gangway-ws/amqp')).amqpTransport(urls.amqp, { prefix, requestQueueExpiresMs: 600_000 })
  if (kind === 'nats') return (await import('gangway-ws/nats')).natsTransport(urls.nats, { prefix })
  return (await import('gangway-ws/redis')).redisTransport(urls.redis, { prefix })
}

/** The gangway gateway's transport to the NestJS microservice: NestJS's wire, the NestJS service's queue. */
export async function gangwayNestTransport(kind: Broker): Promise<Transport> {
  const prefix = `gangway-${runId}`
  if (kind === 'amqp') return (await import('gangway-ws/amqp')).amqpTransport(urls.amqp, { prefix, wire: 'nest', ...nestQueue })
  if (kind === 'nats') return (await import('gangway-ws/nats')).natsTransport(urls.nats, { prefix, wire: 'nest' })
  return (await import('gangway-ws/redis')).redisTransport(urls.redis, { prefix, wire: 'nest' })
}
