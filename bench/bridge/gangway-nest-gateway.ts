// The gangway gateway in front of the benchmark's unmodified NestJS microservice (nest-worker.ts):
// `ask` is forwarded to `bench.ask` in NestJS's own wire (`wire: 'nest'`), on the NestJS queue on RabbitMQ.
import { createGateway, defineGateway, forward, silentLogger } from 'gangway-ws'
import type { Broker } from './brokers.js'
import { gangwayNestTransport } from './gangway-transport.js'

const transport = await gangwayNestTransport(process.argv[2] as Broker)
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
