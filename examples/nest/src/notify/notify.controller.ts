import { Body, Controller, Post } from '@nestjs/common'
import { GangwayHost } from 'gangway-ws/nest'
import { ChatGateway } from '../chat/chat.gateway'

/**
 * Push from plain HTTP: POST /announce { room, text } reaches every socket in
 * the room. It injects ChatGateway too — the same instance that serves the
 * sockets, however many modules import ChatModule.
 */
@Controller()
export class NotifyController {
  constructor(
    private readonly gangway: GangwayHost,
    readonly gateway: ChatGateway,
  ) {}

  @Post('announce')
  announce(@Body() body: { room: string; text: string }) {
    this.gangway.server().to(body.room).emit('announcement', { room: body.room, text: body.text })
    return { delivered: this.gangway.server().roomSize(body.room) }
  }
}
