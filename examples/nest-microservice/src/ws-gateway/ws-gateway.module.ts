import { Module } from '@nestjs/common'
import { WsGateway } from './ws-gateway'

// The gateway is a provider of this one module: gangway mounts the instance Nest built, once.
@Module({ providers: [WsGateway], exports: [WsGateway] })
export class WsGatewayModule {}
