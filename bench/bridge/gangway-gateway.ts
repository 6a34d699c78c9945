// The gangway gateway of the benchmark: `ask` is forwarded to `bench.ask` over the broker.
import { createGateway, defineGateway, forward, silentLogger, type Transport } from 'gangway'
import { runId, urls, type Broker } from './brokers.js'

const broker = process.argv[2] as Broker
const prefix = `gangway-${runId}`

async function transportFor(kind: Broker): Promise<Transport> {
  if (kind === 'amqp') return (await import('gangway/amqp')).amqpTransport({ url: urls.amqp, prefix, requestQueueExpiresMs: 600_000 })
  if (kind === 'nats') return (await import('gangway/nats')).natsTransport({ servers: urls.nats, prefix })
  return (await import('gangway/redis')).redisTransport({ url: urls.redis, prefix })
}

const transport = await transportFor(broker)
const gateway = defineGateway({ path: '/ws' }).subscribe('ask', forward('bench.ask', { timeoutMs: 30_000 }))
// No rate limit: the benchmark client is deliberately a firehose (NestJS has none either).
const app = createGateway({ gateways: [gateway], transport, logger: silentLogger, rateLimit: false, heartbeat: false })
const { port } = await app.listen(0, '127.0.0.1')
await app.ready()
console.log(`READY ${port}`)
process.on('SIGTERM', async () => {
  await app.close({ timeoutMs: 500 })
  await transport.close()
  process.exit(0)
})
