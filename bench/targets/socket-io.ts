import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { MAX_PAYLOAD, Publish, Room } from './schemas.js'
import type { RunningTarget } from './target.js'

type Ack = ((value?: unknown) => void) | undefined

/**
 * Socket.IO v4, WebSocket transport only: `echo` and `join` answer through acks,
 * `publish` emits to a room, rooms are Socket.IO's own. The same zod schemas, the
 * same `welcome` push; Socket.IO's own heartbeat (25 s) and 1 MB limit.
 */
export async function start(): Promise<RunningTarget> {
  const http = createServer((_request, response) => void response.writeHead(404).end())
  const io = new Server(http, { transports: ['websocket'], serveClient: false, maxHttpBufferSize: MAX_PAYLOAD })

  io.on('connection', (socket) => {
    socket.emit('welcome', { connectionId: socket.id })
    socket.on('echo', (data: unknown, ack: Ack) => {
      if (typeof ack === 'function') ack(data)
    })
    socket.on('join', (data: unknown, ack: Ack) => {
      const parsed = Room.safeParse(data)
      if (!parsed.success) return ack?.({ error: { code: 'INVALID_PAYLOAD', message: parsed.error.issues[0]?.message } })
      socket.join(parsed.data.room)
      ack?.({ room: parsed.data.room })
    })
    socket.on('publish', (data: unknown, ack: Ack) => {
      const parsed = Publish.safeParse(data)
      if (!parsed.success) return ack?.({ error: { code: 'INVALID_PAYLOAD', message: parsed.error.issues[0]?.message } })
      io.to(parsed.data.room).emit('message', parsed.data.payload)
      ack?.(null)
    })
    socket.on('disconnecting', () => {
      for (const room of socket.rooms) if (room !== socket.id) socket.to(room).emit('left', { connectionId: socket.id, room })
    })
  })

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    port: (http.address() as AddressInfo).port,
    async close() {
      await io.close()
      http.closeAllConnections()
    },
  }
}
