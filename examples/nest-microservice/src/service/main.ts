// The NestJS microservice: `NestFactory.createMicroservice` on Transport.RMQ, as the Nest docs show.
import 'reflect-metadata'
import { NestFactory } from '@nestjs/core'
import { Transport, type MicroserviceOptions } from '@nestjs/microservices'
import { AMQP_URL, QUEUE } from '../config'
import { AppModule } from './app.module'

async function bootstrap() {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
    transport: Transport.RMQ,
    options: { urls: [AMQP_URL], queue: QUEUE },
    logger: ['error', 'warn'],
  })
  app.enableShutdownHooks()
  await app.listen()
  console.log(`service: NestJS microservice on RabbitMQ queue "${QUEUE}"`)
  process.send?.({ ready: true })
}

void bootstrap()
