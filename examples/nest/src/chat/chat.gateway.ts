import { z } from 'zod'
import { Gateway, OnConnect, Subscribe, UseGuards, WsError, type Client, type HandshakeContext } from 'gangway-ws'
import { RoomService } from './room.service'

const Join = z.object({ room: z.string().min(1).max(64) })
const Say = z.object({ room: z.string().min(1).max(64), text: z.string().min(1).max(2000) })

/** Whoever sends `Authorization: Bearer <name>` is `<name>`; a real app verifies a JWT here. */
function bearer(handshake: HandshakeContext) {
  const header = handshake.headers.authorization
  return header?.startsWith('Bearer ') ? { id: header.slice(7) } : null
}

@Gateway({ path: '/chat' })
@UseGuards(bearer)
export class ChatGateway {
  constructor(private readonly rooms: RoomService) {}

  @OnConnect()
  welcome(client: Client<{ id: string }>) {
    client.emit('welcome', { connectionId: client.id, user: client.user.id })
  }

  @Subscribe('join', { schema: Join })
  async join({ room }: z.infer<typeof Join>, client: Client) {
    await client.join(room)
    return { room, history: this.rooms.history(room) }
  }

  @Subscribe('say', { schema: Say })
  say({ room, text }: z.infer<typeof Say>, client: Client) {
    if (!client.rooms.has(room)) throw new WsError('NOT_A_MEMBER', 'Join the room first')
    const seq = this.rooms.record(room, text)
    client.server.to(room).emit('message', { room, from: client.userId, text, seq })
    return { seq }
  }
}
