import type { StreamInfo } from '@nats-io/jetstream'
import type { Redis } from 'ioredis'

/**
 * Wipes everything a PRIVATE broker stores — Redis `FLUSHALL`, every JetStream stream deleted —
 * so the history of every room is gone as after a store loss: the next write starts a new epoch.
 * Never point it at a shared broker.
 */
export async function flushHistoryStore(kind: 'redis' | 'nats', url: string): Promise<void> {
  if (kind === 'redis') await withRedis(url, (redis) => redis.flushall())
  else await deleteStreams(url, () => true)
}

/**
 * Removes what this test process's nodes left on a SHARED broker: Redis keys and JetStream streams
 * whose names start with `prefix` (node channel prefixes are `test-<pid>-…`, see cluster-nodes.ts).
 */
export async function removeTestHistory(kind: 'redis' | 'nats', url: string, prefix: string): Promise<void> {
  if (kind === 'redis') {
    await withRedis(url, async (redis) => {
      for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) if ((keys as string[]).length > 0) await redis.del(...(keys as string[]))
    })
    return
  }
  // The JetStream store names its stream `<prefix>_history`, the prefix's odd characters replaced.
  const streamPrefix = prefix.replace(/[^A-Za-z0-9_-]/g, '_')
  await deleteStreams(url, (stream) => stream.config.name.startsWith(streamPrefix))
}

async function withRedis(url: string, use: (redis: Redis) => Promise<unknown>): Promise<void> {
  const { Redis } = await import('ioredis')
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    await use(redis)
  } finally {
    redis.disconnect()
  }
}

async function deleteStreams(url: string, which: (stream: StreamInfo) => boolean): Promise<void> {
  const { connect } = await import('@nats-io/transport-node')
  const { jetstreamManager } = await import('@nats-io/jetstream')
  const nc = await connect({ servers: url })
  try {
    const jsm = await jetstreamManager(nc)
    for await (const stream of jsm.streams.list()) if (which(stream)) await jsm.streams.delete(stream.config.name)
  } finally {
    await nc.close()
  }
}
