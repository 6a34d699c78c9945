// Every run names its keys, streams and subjects under a prefix of its own; afterwards they
// are removed, so runs leave the shared brokers as they found them.
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { Redis } from 'ioredis'

export async function removeBrokerState(url: string, prefix: string): Promise<void> {
  if (url.startsWith('redis')) await removeRedisKeys(url, prefix)
  else if (url.startsWith('nats')) await removeJetStreams(url, prefix)
}

async function removeRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    let cursor = '0'
    for (let rounds = 0; rounds < 10_000; rounds++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.unlink(...keys)
      cursor = next
      if (cursor === '0') break
    }
  } finally {
    redis.disconnect()
  }
}

/** Streams whose name or subjects mention the prefix (JetStream names cannot hold every character, so it is compared loosely). */
async function removeJetStreams(url: string, prefix: string): Promise<void> {
  const nc = await connect({ servers: url.replace(/^nats:\/\//, ''), timeout: 5000 })
  try {
    const jsm = await jetstreamManager(nc)
    const loose = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '')
    const wanted = loose(prefix)
    for await (const stream of jsm.streams.list()) {
      const { name, subjects } = stream.config
      if (loose(name).includes(wanted) || (subjects ?? []).some((s) => loose(s).includes(wanted))) await jsm.streams.delete(name)
    }
  } finally {
    await nc.close()
  }
}
