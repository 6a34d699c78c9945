// The NestJS microservice of the benchmark: @MessagePattern('bench.ask') → { answer: data }.
import 'reflect-metadata'
import { Controller, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { MessagePattern, Payload } from '@nestjs/microservices'
import type { Broker } from './brokers.js'
import { nestOptions } from './nest-options.js'

@Controller()
class AskController {
  @MessagePattern('bench.ask')
  ask(@Payload() data: unknown) {
    return { answer: data }
  }
}

@Module({ controllers: [AskController] })
class WorkerModule {}

const broker = process.argv[2] as Broker
const app = await NestFactory.createMicroservice(WorkerModule, { ...nestOptions(broker), logger: ['error'] })
await app.listen()
console.log('READY')
process.on('SIGTERM', async () => {
  await app.close()
  process.exit(0)
})
