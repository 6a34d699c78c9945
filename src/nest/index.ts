/**
 * `gangway-ws/nest`: gangway gateways in a NestJS application, built by Nest's DI.
 * `@nestjs/common` and `@nestjs/core` are optional peer dependencies, needed
 * only by this entry.
 *
 * @example
 * import { Module, Injectable } from '@nestjs/common'
 * import { Gateway, Subscribe, type Client } from 'gangway-ws'
 * import { GangwayModule } from 'gangway-ws/nest'
 *
 * @Injectable()
 * class RoomService { greet(name: string) { return `hello ${name}` } }
 *
 * @Gateway({ path: '/chat' })
 * class ChatGateway {
 *   constructor(private readonly rooms: RoomService) {}
 *   @Subscribe('greet') greet(name: string) { return this.rooms.greet(name) }
 * }
 *
 * @Module({ providers: [RoomService, ChatGateway] })
 * class ChatModule {}
 *
 * @Module({ imports: [ChatModule, GangwayModule.forRoot()] })
 * export class AppModule {}
 */
export { GangwayModule } from './gangway-module.js'
export { GangwayHost } from './gangway-host.js'
export { nestLogger } from './nest-logger.js'
export { GANGWAY_OPTIONS, type GangwayModuleOptions, type GangwayModuleAsyncOptions, type GatewayClass } from './gangway-module-options.js'
export { discoverGateways, isGatewayClass, type DiscoveredGateway, type ProviderWrapper } from './discover-gateways.js'
