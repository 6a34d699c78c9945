import { Module } from '@nestjs/common'
import { ChatGateway } from './chat.gateway'
import { RoomService } from './room.service'

/** The one module that provides ChatGateway; others import this module to use it. */
@Module({
  providers: [RoomService, ChatGateway],
  exports: [RoomService, ChatGateway],
})
export class ChatModule {}
