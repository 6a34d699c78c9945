import { Module } from '@nestjs/common'
import { amqpTransport } from 'gangway-ws/amqp'
import { GangwayModule } from 'gangway-ws/nest'
import { AMQP_URL, QUEUE } from './config'
import { WsGatewayModule } from './ws-gateway/ws-gateway.module'

@Module({
  imports: [
    WsGatewayModule,
    // The bridge speaks NestJS's own RabbitMQ wire to the microservice's queue.
    GangwayModule.forRootAsync({ useFactory: () => ({ transport: amqpTransport(AMQP_URL, { wire: 'nest', queue: QUEUE }) }) }),
  ],
})
export class GatewayModule {}
