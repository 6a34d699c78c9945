// The gateway: a Nest app whose WebSocket gateway is served by gangway.
import 'reflect-metadata'
import { NestFactory } from '@nestjs/core'
import { GangwayHost } from 'gangway-ws/nest'
import { PORT } from './config'
import { GatewayModule } from './gateway.module'

async function bootstrap() {
  const app = await NestFactory.create(GatewayModule, { logger: ['error', 'warn'] })
  app.enableShutdownHooks()
  await app.listen(PORT, '127.0.0.1')
  await app.get(GangwayHost).app.ready() // the bridge's reply address and inbox are open
  const { port } = app.getHttpServer().address() as { port: number }
  console.log(`gateway: ws://127.0.0.1:${port}/ws`)
  process.send?.({ port })
}

void bootstrap()
