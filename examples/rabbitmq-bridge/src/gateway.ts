// The WebSocket gateway: `ask` frames go to RabbitMQ; replies and pushes come back to the right socket.
import { createGateway, forward, Gateway, Subscribe, type Client } from 'gangway-ws'
import { amqpTransport } from 'gangway-ws/amqp'

@Gateway({ path: '/ws' })
class AskGateway {
  // The whole "forward to the microservice and route the reply back" of the NestJS write-up, in one line.
  @Subscribe('ask') ask = forward('ai.ask', { timeoutMs: 15_000 })

  @Subscribe('whoami')
  whoami(_data: unknown, client: Client) {
    return { connectionId: client.id }
  }
}

const transport = amqpTransport(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672')
const app = createGateway({ gateways: [new AskGateway()], transport })
const port = Number(process.env.PORT ?? 3333)
await app.listen(port)
console.log(`gateway: ws://localhost:${port}/ws (node ${app.nodeId})`)

process.on('SIGINT', async () => {
  await app.close()
  await transport.close()
  process.exit(0)
})
