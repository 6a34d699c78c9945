// The Socket.IO node of the recovery storm (child process): connection state recovery on
// @socket.io/redis-streams-adapter, as its docs set it up. env: CLUSTER_URL (redis://),
// CHANNEL_PREFIX (the stream, the session keys and the channels are named after it).
import { createAdapter } from '@socket.io/redis-streams-adapter'
import { Redis } from 'ioredis'
import { Server } from 'socket.io'
import { reply } from './ipc.js'
import { createNodeServer, listen, serveControl } from './node-control.js'

const prefix = process.env.CHANNEL_PREFIX!
const redis = new Redis(process.env.CLUSTER_URL!)
const http = createNodeServer()
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  connectionStateRecovery: { maxDisconnectionDuration: 10 * 60_000, skipMiddlewares: true },
  // One stream for the run; long enough that no missed message is trimmed away (10,000 is the default).
  adapter: createAdapter(redis, { streamName: `${prefix}:stream`, sessionKeyPrefix: `${prefix}:session:`, channelPrefix: prefix, maxLen: 1_000_000 }),
})

let recovered = 0
io.on('connection', (socket) => {
  if (socket.recovered) recovered++
  socket.on('join', (room: string, ack?: (ok: boolean) => void) => {
    void socket.join(room)
    ack?.(true)
  })
  socket.on('echo', (data: unknown, ack?: (data: unknown) => void) => ack?.(data))
})

const port = await listen(http)
await redis.ping()
serveControl(http, {
  publish: (room, payload) => void io.to(room).emit('message', payload),
  recovered: () => recovered,
  close: async () => {
    io.close()
    redis.disconnect()
  },
})
reply({ type: 'listening', port })
