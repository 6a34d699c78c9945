// The gangway gateway of the benchmark: `ask` is forwarded to `bench.ask` over the broker.
import { createGateway, defineGateway, forward, silentLogger } from 'gangway-ws'
import type { Broker } from './brokers.js'
import { gangwayTransport } from './gangway-transport.js'

const transport = await gangwayTransport(process.argv[2] as Broker)
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
