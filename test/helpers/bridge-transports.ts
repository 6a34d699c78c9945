import type { TestContext } from 'node:test'
import { inProcessTransport, type Transport } from '../../src/index.js'
import { InProcessBroker } from '../../src/internal.js'
import { brokerUrls } from '../../src/testing/index.js'
import { amqpTransport } from '../../src/amqp/index.js'
import { natsTransport } from '../../src/nats/index.js'
import { redisTransport } from '../../src/redis/index.js'

/** How a test process (or a child it starts) builds its transport. Serializable, so children get it via env. */
export interface TransportSpec {
  kind: 'amqp' | 'nats' | 'nats-js' | 'redis' | 'in-process'
  url: string
  prefix: string
}

/** A transport tuned for tests: short redelivery delays so fault tests finish in seconds. */
export function createTestTransport(spec: TransportSpec, id?: string): Transport {
  const common = { id, prefix: spec.prefix }
  switch (spec.kind) {
    case 'amqp':
      return amqpTransport(spec.url, { ...common, inboxExpiresMs: 15_000, requestQueueExpiresMs: 60_000, reconnect: { initialDelayMs: 50, maxDelayMs: 500 } })
    case 'nats':
      return natsTransport(spec.url, common)
    case 'nats-js':
      return natsTransport(spec.url, { ...common, jetstream: { ackWaitMs: 1500, storage: 'memory', stream: `${spec.prefix.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}_RQ` } })
    case 'redis':
      return redisTransport(spec.url, { ...common, claimIdleMs: 1000, claimIntervalMs: 300 })
    case 'in-process':
      return inProcessTransport(common)
  }
}

/** Removes what a test left on a shared broker (Redis keys, a JetStream stream). RabbitMQ queues expire by themselves. */
export async function cleanUpBroker(spec: TransportSpec): Promise<void> {
  if (spec.kind === 'redis') {
    const { Redis } = await import('ioredis')
    const redis = new Redis(spec.url)
    try {
      const keys = await redis.keys(`${spec.prefix}:*`)
      if (keys.length > 0) await redis.del(...keys)
    } finally {
      redis.disconnect()
    }
  } else if (spec.kind === 'nats-js') {
    await deleteJetStream(spec.url, `${spec.prefix.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}_RQ`)
  }
}

/** Deletes a JetStream stream a test created on a shared NATS server (nothing if it does not exist). */
export async function deleteJetStream(url: string, stream: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node')
  const { jetstreamManager } = await import('@nats-io/jetstream')
  const nc = await connect({ servers: url })
  try {
    const jsm = await jetstreamManager(nc)
    await jsm.streams.delete(stream).catch(() => {})
  } finally {
    await nc.close()
  }
}

/**
 * Transports of one kind for one test, on one broker (in-process: one private broker): each call
 * makes another (a gateway's, each service instance's: their own broker connections). All are
 * closed, and what they left on the broker removed, when the test ends.
 */
export function transportsFor(t: TestContext, kind: TransportSpec['kind'], prefix: string): () => Transport {
  const url = kind === 'amqp' ? brokerUrls.amqp : kind === 'redis' ? brokerUrls.redis : brokerUrls.nats
  const spec: TransportSpec = { kind, url, prefix }
  const broker = new InProcessBroker()
  t.after(() => cleanUpBroker(spec))
  return () => {
    const transport = kind === 'in-process' ? inProcessTransport({ broker }) : createTestTransport(spec)
    t.after(() => transport.close())
    return transport
  }
}
