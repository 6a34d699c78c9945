// The gangway microservice of the benchmark: `bench.ask` → { answer: data }.
import { createMicroservice, silentLogger } from 'gangway-ws'
import type { Broker } from './brokers.js'
import { gangwayTransport } from './gangway-transport.js'

const transport = await gangwayTransport(process.argv[2] as Broker)
await createMicroservice({ transport, logger: silentLogger, prefetch: 256 })
  .handle('bench.ask', (data: unknown) => ({ answer: data }))
  .listen()
console.log('READY')
process.on('SIGTERM', async () => {
  await transport.close()
  process.exit(0)
})
