// One Socket.IO node of the cluster benchmark (child process) with @socket.io/redis-adapter.
// env: CLUSTER_URL (redis://), CHANNEL_PREFIX. Same events as the gangway node.
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { createAdapter } from '@socket.io/redis-adapter'
import { Redis } from 'ioredis'

const pub = new Redis(process.env.CLUSTER_URL!)
const sub = pub.duplicate()
const http = createServer()
const io = new Server(http, { transports: ['websocket'], serveClient: false, adapter: createAdapter(pub, sub, { key: process.env.CHANNEL_PREFIX! }) })

io.on('connection', (socket) => {
  socket.on('join', (room: string, ack?: (ok: boolean) => void) => {
    void socket.join(room)
    ack?.(true)
  })
  socket.on('publish', ({ room, payload }: { room: string; payload: unknown }) => {
    io.to(room).emit('message', payload)
  })
})

await Promise.all([new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve)), waitReady(pub), waitReady(sub)])
// The adapter subscribes on creation; give its SUBSCRIBE a round trip before reporting ready.
await sub.ping().catch(() => {})
process.send!({ port: (http.address() as { port: number }).port })
const stop = () => {
  io.close()
  pub.disconnect()
  sub.disconnect()
  process.exit(0)
}
process.on('message', (message: { cmd?: string }) => void (message?.cmd === 'stop' && stop()))
process.on('disconnect', () => process.exit(0))

function waitReady(client: Redis): Promise<void> {
  return client.status === 'ready' ? Promise.resolve() : new Promise((resolve) => client.once('ready', () => resolve()))
}
