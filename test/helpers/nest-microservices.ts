// Real NestJS microservices and ClientProxy clients for the wire-interop tests, built without
// legacy decorators (the tests compile with standard ones): the decorators are called by hand.
import 'reflect-metadata'
import { Controller, Module, type INestMicroservice, type Type } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ClientProxyFactory, Ctx, EventPattern, MessagePattern, Payload, Transport, type ClientProxy } from '@nestjs/microservices'
import { brokerUrls } from '../../src/testing/index.js'

export type NestBroker = 'amqp' | 'nats' | 'redis'

/** A NestJS handler: `(@Payload() data, @Ctx() context)`. */
export type NestHandler = (data: any, context: any) => unknown

export interface NestHandlers {
  readonly messages?: ReadonlyArray<readonly [pattern: unknown, handler: NestHandler]>
  readonly events?: ReadonlyArray<readonly [pattern: unknown, handler: NestHandler]>
}

/** The microservice options NestJS's docs show, per broker; RabbitMQ's queue expires when unused so tests leave nothing behind. */
export function nestTransportOptions(broker: NestBroker, queue: string): any {
  if (broker === 'amqp') return { transport: Transport.RMQ, options: { urls: [brokerUrls.amqp], queue, queueOptions: nestQueueOptions } }
  if (broker === 'nats') return { transport: Transport.NATS, options: { servers: [brokerUrls.nats] } }
  const url = new URL(brokerUrls.redis)
  return { transport: Transport.REDIS, options: { host: url.hostname, port: Number(url.port || 6379) } }
}

/** How the tests' NestJS RabbitMQ services declare their queue (gangway must declare it the same way). */
export const nestQueueOptions = Object.freeze({ durable: false, arguments: { 'x-expires': 60_000 } })

/** A NestJS module with one controller whose methods are the given handlers. */
export function nestModule(handlers: NestHandlers): Type {
  class NestTestController {}
  let n = 0
  const add = (decorate: (pattern: any) => MethodDecorator, pattern: unknown, handler: NestHandler) => {
    const key = `handler${n++}`
    Object.defineProperty(NestTestController.prototype, key, { value: handler, writable: true, configurable: true })
    const descriptor = Object.getOwnPropertyDescriptor(NestTestController.prototype, key)!
    decorate(pattern)(NestTestController.prototype, key, descriptor)
    // @Payload() data, @Ctx() context
    Payload()(NestTestController.prototype, key, 0)
    Ctx()(NestTestController.prototype, key, 1)
  }
  for (const [pattern, handler] of handlers.messages ?? []) add(MessagePattern as (pattern: any) => MethodDecorator, pattern, handler)
  for (const [pattern, handler] of handlers.events ?? []) add(EventPattern as (pattern: any) => MethodDecorator, pattern, handler)
  ;(Controller() as ClassDecorator)(NestTestController)
  class NestTestModule {}
  ;(Module({ controllers: [NestTestController] }) as ClassDecorator)(NestTestModule)
  return NestTestModule
}

/** Starts a NestJS microservice on the broker; resolves once it listens. */
export async function startNestService(broker: NestBroker, queue: string, handlers: NestHandlers): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(nestModule(handlers), { ...nestTransportOptions(broker, queue), logger: false })
  await app.listen()
  return app
}

/** A NestJS `ClientProxy` on the broker, connected. */
export async function nestClient(broker: NestBroker, queue: string): Promise<ClientProxy> {
  const { transport, options } = nestTransportOptions(broker, queue)
  const client = ClientProxyFactory.create({ transport, options } as any) as unknown as ClientProxy
  await client.connect()
  return client
}
