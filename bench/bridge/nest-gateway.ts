// The NestJS gateway of the benchmark: a @WebSocketGateway on the ws adapter whose `ask`
// handler calls the microservice with ClientProxy.send, as the NestJS docs show.
import 'reflect-metadata'
import { Inject, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ClientsModule, type ClientProxy } from '@nestjs/microservices'
import { WsAdapter } from '@nestjs/platform-ws'
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets'
import { lastValueFrom } from 'rxjs'
import type { Broker } from './brokers.js'
import { nestOptions } from './nest-options.js'

const broker = process.argv[2] as Broker

@WebSocketGateway({ path: '/ws' })
class AskGateway {
  constructor(@Inject('ASK_SERVICE') private readonly client: ClientProxy) {}

  // Nest's ws adapter cannot correlate a reply with its request, so the id rides inside `data`.
  @SubscribeMessage('ask')
  async ask(@MessageBody() body: { id: number; payload: unknown }) {
    const answer = await lastValueFrom(this.client.send('bench.ask', body.payload))
    return { event: 'ask', data: { id: body.id, answer } }
  }
}

@Module({
  imports: [ClientsModule.register([{ name: 'ASK_SERVICE', ...nestOptions(broker) }])],
  providers: [AskGateway],
})
class GatewayModule {}

const app = await NestFactory.create(GatewayModule, { logger: ['error'] })
app.useWebSocketAdapter(new WsAdapter(app))
await app.listen(0, '127.0.0.1')
const { port } = app.getHttpServer().address() as { port: number }
console.log(`READY ${port}`)
process.on('SIGTERM', async () => {
  await app.close()
  process.exit(0)
})
