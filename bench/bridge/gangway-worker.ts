// The gangway microservice of the benchmark: `bench.ask` → { answer: data }.
import { createMicroservice, silentLogger, type Transport } from 'gangway'
import { runId, urls, type Broker } from './brokers.js'

const broker = process.argv[2] as Broker
const prefix = `gangway-${runId}`

async function transportFor(kind: Broker): Promise<Transport> {
  if (kind === 'amqp') return (await import('gangway/amqp')).amqpTransport({ url: urls.amqp, prefix, requestQueueExpiresMs: 600_000 })
  if (kind === 'nats') return (await import('gangway/nats')).natsTransport({ servers: urls.nats, prefix })
  return (await import('gangway/redis')).redisTransport({ url: urls.redis, prefix })
}

const transport = await transportFor(broker)
await createMicroservice({ transport, logger: silentLogger, prefetch: 256 })
  .handle('bench.ask', (data: unknown) => ({ answer: data }))
  .listen()
console.log('READY')
process.on('SIGTERM', async () => {
  await transport.close()
  process.exit(0)
})
