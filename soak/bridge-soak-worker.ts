// The microservice of `npm run soak:bridge`, in its own process: `soak.ask` {n, pad} → {n}. Sends
// { ready: true } over IPC once consuming; answers 'stats' with its counters.
import { createMicroservice, silentLogger } from 'gangway-ws'
import { soakTransport } from './bridge-soak-transport.js'

const transport = await soakTransport()
// RabbitMQ: prefetch 100, manual acks after the handler (the L3 configuration of the plan).
const service = createMicroservice({ transport, logger: silentLogger, prefetch: 100 }).handle('soak.ask', (data: { n: number }) => ({ n: data.n }))
await service.listen()
process.send!({ ready: true })
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'stats') process.send!({ stats: { ...service.stats } })
  if (message.cmd === 'stop') void service.close().then(() => transport.close()).then(() => process.exit(0))
})
