import { z } from 'zod'
import { forward, Gateway, OnConnect, OnDisconnect, Subscribe, type Client } from 'gangway-ws'
import type { ContractOf } from 'gangway-ws/client'

const Room = z.object({ room: z.string().min(1).max(64) })
/** A join may ask for the room's presence (`$presence` frames) and give a display name shown in it. */
const JoinRoom = Room.extend({ name: z.string().min(1).max(32).optional(), presence: z.boolean().optional() })
const Publish = z.object({ room: z.string().min(1).max(64), payload: z.unknown() })
const HistoryRequest = Room.extend({ limit: z.number().int().min(1).max(200).optional() })

/** How many of a room's recent messages the page asks for on a first join, and refetches when recovery failed. */
export const RECENT_MESSAGES = 50

/**
 * The demo gateway. Benchmarks and examples rely on its events:
 * - `echo`: replies with the same data;
 * - `join` / `leave` `{ room }`: joins or leaves, replies `{ room }`; a join may add `name` (shown in the room's
 *   presence) and `presence: true` (the connection then gets `$presence` frames: who is in the room);
 * - `presence` `{ room }`: replies `{ room, members: [{ userId, connectionIds }] }`, across every node;
 * - `publish` `{ room, payload }`: every member of the room receives `{ "event": "message", "data": payload }`
 *   (with the room's `room`, `offset` and `epoch`: every room keeps a history, see server.ts);
 * - `history` `{ room, limit? }`: the room's last `limit` messages (default 50), `{ room, epoch, offset, messages }`;
 * - `ask`: forwarded to the microservice pattern `demo.ask` (a `progress` push, then `{ answer: data }`).
 */
@Gateway({ path: '/ws' })
export class ChatGateway {
  @OnConnect()
  welcome(client: Client) {
    client.emit('welcome', { connectionId: client.id })
  }

  @Subscribe('echo')
  echo(data: unknown) {
    return data
  }

  @Subscribe('ask') ask = forward('demo.ask', { timeoutMs: 10_000 })

  @Subscribe('join', { schema: JoinRoom })
  async join({ room, name, presence }: z.infer<typeof JoinRoom>, client: Client) {
    await client.join(room, { presence: presence === true, meta: name === undefined ? undefined : { name } })
    return { room }
  }

  @Subscribe('leave', { schema: Room })
  async leave({ room }: z.infer<typeof Room>, client: Client) {
    await client.leave(room)
    return { room }
  }

  @Subscribe('presence', { schema: Room })
  async presence({ room }: z.infer<typeof Room>, client: Client) {
    const { value } = await client.server.presence(room)
    return { room, members: value.map((member) => ({ userId: member.userId, connectionIds: member.connections.map((c) => c.id) })) }
  }

  @Subscribe('history', { schema: HistoryRequest })
  history({ room, limit }: z.infer<typeof HistoryRequest>, client: Client) {
    return client.server.history(room, { limit: limit ?? RECENT_MESSAGES })
  }

  @Subscribe('publish', { schema: Publish })
  publish({ room, payload }: z.infer<typeof Publish>, client: Client) {
    client.server.to(room).emit('message', payload)
  }

  @OnDisconnect()
  goodbye(client: Client) {
    for (const room of client.rooms) client.server.to(room).except(client).emit('left', { connectionId: client.id, room })
  }
}

/** What the demo gateway pushes: `message` carries whatever a member published. */
export interface ChatPushes {
  welcome: { connectionId: string }
  message: unknown
  left: { connectionId: string; room: string }
}

/**
 * The demo gateway's contract for `createClient<ChatContract>(url)`: event names map to
 * the methods above, so request and reply types follow their signatures.
 */
export type ChatContract = ContractOf<ChatGateway, { echo: 'echo'; join: 'join'; leave: 'leave'; presence: 'presence'; history: 'history'; publish: 'publish' }, ChatPushes>
