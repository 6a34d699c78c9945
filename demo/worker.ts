// `npm run worker`: the demo microservice on the broker named by TRANSPORT_URL.
import { demoService } from './demo-service.js'
import { describeTransport, transportFromUrl } from './bridge-transport.js'

if (!process.env.TRANSPORT_URL) {
  console.error('TRANSPORT_URL is not set: with the in-process transport, `npm start` already answers demo.ask itself.')
  console.error('Set TRANSPORT_URL=amqp://guest:guest@127.0.0.1:5672 (or nats://127.0.0.1:4222, redis://127.0.0.1:6379) for both processes.')
  process.exit(1)
}

const transport = await transportFromUrl()
const service = demoService(transport)
await service.listen()
console.log(`gangway demo worker: answering demo.ask over ${describeTransport()}`)

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: finishing messages in flight`)
    await service.close()
    await transport.close()
    process.exit(0)
  })
}
