/**
 * Wipes everything a PRIVATE broker stores — Redis `FLUSHALL`, every JetStream stream deleted —
 * so the history of every room is gone as after a store loss: the next write starts a new epoch.
 * Never point it at a shared broker.
 */
export async function flushHistoryStore(kind: 'redis' | 'nats', url: string): Promise<void> {
  if (kind === 'redis') {
    const { Redis } = await import('ioredis')
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
    try {
      await redis.connect()
      await redis.flushall()
    } finally {
      redis.disconnect()
    }
    return
  }
  const { connect } = await import('@nats-io/transport-node')
  const { jetstreamManager } = await import('@nats-io/jetstream')
  const nc = await connect({ servers: url })
  try {
    const jsm = await jetstreamManager(nc)
    for await (const stream of jsm.streams.list()) await jsm.streams.delete(stream.config.name)
  } finally {
    await nc.close()
  }
}
