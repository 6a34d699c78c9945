// The gangway transport both benchmark processes (gateway and worker) open on the chosen broker.
import type { Transport } from 'gangway-ws'
import { runId, urls, type Broker } from './brokers.js'

export async function gangwayTransport(kind: Broker): Promise<Transport> {
  const prefix = `gangway-${runId}`
  if (kind === 'amqp') return (await import('gangway-ws/amqp')).amqpTransport(urls.amqp, { prefix, requestQueueExpiresMs: 600_000 })
  if (kind === 'nats') return (await import('gangway-ws/nats')).natsTransport(urls.nats, { prefix })
  return (await import('gangway-ws/redis')).redisTransport(urls.redis, { prefix })
}
