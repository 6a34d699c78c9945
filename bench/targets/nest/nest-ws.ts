import 'reflect-metadata'
import type { AddressInfo } from 'node:net'
import { Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { WsAdapter } from '@nestjs/platform-ws'
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  type WsResponse,
} from '@nestjs/websockets'
import type { WebSocket, WebSocketServer as WsServer } from 'ws'
import { HEARTBEAT_MS, MAX_PAYLOAD, Publish, Room, type PublishData, type RoomData } from '../schemas.js'
import type { RunningTarget } from '../target.js'
import { ZodValidationPipe } from './zod-validation-pipe.js'

type Peer = WebSocket & { id: string; rooms: Set<string>; isAlive: boolean }

/**
 * A NestJS gateway on `@nestjs/platform-ws`: real `@SubscribeMessage` dispatch,
 * replies as `WsResponse` (`{event, data}`; the ws adapter has no request ids),
 * zod pipes for `join`/`publish`. The ws adapter has no rooms, so the gateway
 * keeps them in a map, as Nest users on this adapter do, and runs the `ws` README
 * heartbeat at gangway's interval.
 */
@WebSocketGateway({ path: '/ws', maxPayload: MAX_PAYLOAD })
class ChatGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  @WebSocketServer() server!: WsServer
  private readonly rooms = new Map<string, Set<Peer>>()
  private nextId = 0

  afterInit(server: WsServer) {
    const heartbeat = setInterval(() => {
      for (const client of server.clients) {
        const ws = client as Peer
        if (!ws.isAlive) {
          ws.terminate()
          continue
        }
        ws.isAlive = false
        ws.ping()
      }
    }, HEARTBEAT_MS)
    heartbeat.unref()
    server.on('close', () => clearInterval(heartbeat))
  }

  handleConnection(client: Peer) {
    client.id = `nest-${(this.nextId++).toString(36)}`
    client.rooms = new Set()
    client.isAlive = true
    client.on('pong', () => (client.isAlive = true))
    client.send(JSON.stringify({ event: 'welcome', data: { connectionId: client.id } }))
  }

  handleDisconnect(client: Peer) {
    for (const room of client.rooms) {
      const members = this.rooms.get(room)
      members?.delete(client)
      if (members?.size === 0) this.rooms.delete(room)
      this.broadcast(room, 'left', { connectionId: client.id, room })
    }
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown): WsResponse<unknown> {
    return { event: 'echo', data }
  }

  @SubscribeMessage('join')
  join(@MessageBody(new ZodValidationPipe(Room)) { room }: RoomData, @ConnectedSocket() client: Peer): WsResponse<RoomData> {
    client.rooms.add(room)
    let members = this.rooms.get(room)
    if (!members) this.rooms.set(room, (members = new Set()))
    members.add(client)
    return { event: 'join', data: { room } }
  }

  @SubscribeMessage('publish')
  publish(@MessageBody(new ZodValidationPipe(Publish)) { room, payload }: PublishData): void {
    this.broadcast(room, 'message', payload)
  }

  private broadcast(room: string, event: string, data: unknown) {
    const members = this.rooms.get(room)
    if (!members) return
    const frame = JSON.stringify({ event, data })
    for (const member of members) if (member.readyState === 1) member.send(frame)
  }
}

@Module({ providers: [ChatGateway] })
class AppModule {}

export async function start(): Promise<RunningTarget> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] })
  app.useWebSocketAdapter(new WsAdapter(app))
  await app.listen(0, '127.0.0.1')
  return {
    port: (app.getHttpServer().address() as AddressInfo).port,
    close: () => app.close(),
  }
}
