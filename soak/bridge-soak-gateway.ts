// The gateway of `npm run soak:bridge`, in its own process, written like user code: `ask` is
// forwarded to `soak.ask` over the broker named in argv[2] (`nats` or `amqp`). Sends { port } over
// IPC once listening; answers 'stats' with its transport's counters, pending requests and RSS.
import { createGateway, defineGateway, forward, silentLogger } from 'gangway-ws'
import { soakTransport } from './bridge-soak-transport.js'

const transport = await soakTransport()
const gateway = defineGateway({ path: '/ws' }).subscribe('ask', forward('soak.ask', { timeoutMs: 10_000 }))
const app = createGateway({ gateways: [gateway], transport, logger: silentLogger })
const { port } = await app.listen(0, '127.0.0.1')
await app.ready()
process.send!({ port })
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'stats') process.send!({ stats: { ...transport.stats, pending: transport.pending, rss: process.memoryUsage().rss, brokers: Object.fromEntries(app.brokers) } })
  if (message.cmd === 'stop') void app.close({ timeoutMs: 2000 }).then(() => transport.close()).then(() => process.exit(0))
})
