import 'reflect-metadata'
import type { AddressInfo } from 'node:net'
import { Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { IoAdapter } from '@nestjs/platform-socket.io'
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
} from '@nestjs/websockets'
import type { Server, Socket } from 'socket.io'
import { MAX_PAYLOAD, Publish, Room, type PublishData, type RoomData } from '../schemas.js'
import type { RunningTarget } from '../target.js'
import { ZodValidationPipe } from './zod-validation-pipe.js'

/**
 * A NestJS gateway on `@nestjs/platform-socket.io` (WebSocket transport only):
 * return values answer through Socket.IO acks, rooms are Socket.IO's, zod pipes
 * validate `join`/`publish`. Socket.IO's own heartbeat.
 */
@WebSocketGateway({ transports: ['websocket'], serveClient: false, maxHttpBufferSize: MAX_PAYLOAD })
class ChatGateway implements OnGatewayConnection {
  @WebSocketServer() server!: Server

  handleConnection(client: Socket) {
    client.emit('welcome', { connectionId: client.id })
    client.on('disconnecting', () => {
      for (const room of client.rooms) if (room !== client.id) client.to(room).emit('left', { connectionId: client.id, room })
    })
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown): unknown {
    return data
  }

  @SubscribeMessage('join')
  async join(@MessageBody(new ZodValidationPipe(Room)) { room }: RoomData, @ConnectedSocket() client: Socket): Promise<RoomData> {
    await client.join(room)
    return { room }
  }

  @SubscribeMessage('publish')
  publish(@MessageBody(new ZodValidationPipe(Publish)) { room, payload }: PublishData): void {
    this.server.to(room).emit('message', payload)
  }
}

@Module({ providers: [ChatGateway] })
class AppModule {}

export async function start(): Promise<RunningTarget> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] })
  app.useWebSocketAdapter(new IoAdapter(app))
  await app.listen(0, '127.0.0.1')
  return {
    port: (app.getHttpServer().address() as AddressInfo).port,
    close: () => app.close(),
  }
}
