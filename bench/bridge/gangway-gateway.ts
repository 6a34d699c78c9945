// The gangway gateway of the benchmark: `ask` is forwarded to `bench.ask` over the broker, to the
// gangway worker — or, with a second argument `nest`, in NestJS's own wire (`wire: 'nest'`) to the
// unmodified NestJS worker (nest-worker.ts), on the NestJS service's queue.
import { createGateway, defineGateway, forward, silentLogger } from 'gangway-ws'
import type { Broker } from './brokers.js'
import { gangwayNestTransport, gangwayTransport } from './gangway-transport.js'

const broker = process.argv[2] as Broker
const transport = await (process.argv[3] === 'nest' ? gangwayNestTransport(broker) : gangwayTransport(broker))
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
