import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { HEARTBEAT_MS, MAX_PAYLOAD, Publish, Room } from './schemas.js'
import type { RunningTarget } from './target.js'

type Peer = WebSocket & { id: string; rooms: Set<string>; isAlive: boolean }

/**
 * Hand-written JSON dispatch on `ws`: what a developer writes without a
 * framework, and the floor cost of any framework built on `ws`. It speaks the
 * same envelope as gangway (`{event, data, id?}`, replies echo `id`), validates
 * `join`/`publish` with the same zod schemas, sends the same `welcome` push, and
 * runs the ping/pong heartbeat from the `ws` README at gangway's interval.
 */
export async function start(): Promise<RunningTarget> {
  const http = createServer((_request, response) => void response.writeHead(404).end())
  const wss = new WebSocketServer({ server: http, path: '/ws', maxPayload: MAX_PAYLOAD })
  const rooms = new Map<string, Set<Peer>>()
  let nextId = 0

  const reply = (ws: Peer, event: string, data: unknown, id: unknown) => {
    ws.send(id === undefined ? `{"event":${JSON.stringify(event)},"data":${JSON.stringify(data ?? null)}}` : `{"event":${JSON.stringify(event)},"data":${JSON.stringify(data ?? null)},"id":${JSON.stringify(id)}}`)
  }
  const fail = (ws: Peer, event: string, id: unknown, code: string, message: string) => {
    ws.send(JSON.stringify({ event, id, error: { code, message } }))
  }
  const broadcast = (room: string, event: string, data: unknown, except?: Peer) => {
    const members = rooms.get(room)
    if (!members) return
    const frame = `{"event":${JSON.stringify(event)},"data":${JSON.stringify(data ?? null)}}`
    for (const member of members) if (member !== except && member.readyState === 1) member.send(frame)
  }

  wss.on('connection', (socket) => {
    const ws = socket as Peer
    ws.id = `raw-${(nextId++).toString(36)}`
    ws.rooms = new Set()
    ws.isAlive = true
    ws.on('pong', () => (ws.isAlive = true))
    ws.on('error', () => {})
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return fail(ws, 'error', undefined, 'BAD_FRAME', 'Binary frames are not accepted')
      let message: { event?: unknown; data?: unknown; id?: unknown }
      try {
        message = JSON.parse(raw.toString())
      } catch {
        return fail(ws, 'error', undefined, 'BAD_FRAME', 'Frame is not valid JSON')
      }
      if (typeof message !== 'object' || message === null) return fail(ws, 'error', undefined, 'BAD_FRAME', 'Frame must be an object')
      const { event, data, id } = message
      switch (event) {
        case 'echo':
          return reply(ws, 'echo', data, id)
        case 'join': {
          const parsed = Room.safeParse(data)
          if (!parsed.success) return fail(ws, 'join', id, 'INVALID_PAYLOAD', parsed.error.issues[0]?.message ?? 'Invalid payload')
          const { room } = parsed.data
          ws.rooms.add(room)
          let members = rooms.get(room)
          if (!members) rooms.set(room, (members = new Set()))
          members.add(ws)
          return reply(ws, 'join', { room }, id)
        }
        case 'publish': {
          const parsed = Publish.safeParse(data)
          if (!parsed.success) return fail(ws, 'publish', id, 'INVALID_PAYLOAD', parsed.error.issues[0]?.message ?? 'Invalid payload')
          broadcast(parsed.data.room, 'message', parsed.data.payload)
          if (id !== undefined) reply(ws, 'publish', null, id)
          return
        }
        default:
          return fail(ws, 'error', id, 'UNKNOWN_EVENT', `Unknown event ${JSON.stringify(event)}`)
      }
    })
    ws.on('close', () => {
      for (const room of ws.rooms) {
        const members = rooms.get(room)
        members?.delete(ws)
        if (members?.size === 0) rooms.delete(room)
        broadcast(room, 'left', { connectionId: ws.id, room }, ws)
      }
    })
    ws.send(`{"event":"welcome","data":${JSON.stringify({ connectionId: ws.id })}}`)
  })

  const heartbeat = setInterval(() => {
    for (const client of wss.clients) {
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

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    port: (http.address() as AddressInfo).port,
    async close() {
      clearInterval(heartbeat)
      for (const client of wss.clients) client.terminate()
      await new Promise((resolve) => wss.close(resolve))
      http.closeAllConnections()
      await new Promise((resolve) => http.close(resolve))
    },
  }
}
