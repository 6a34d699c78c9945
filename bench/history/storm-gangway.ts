// The gangway node of the recovery storm (child process): history on for the storm's rooms,
// the store following the cluster. env: CLUSTER_URL (redis://…, nats://… or `memory`: no
// cluster, the in-memory store), CHANNEL_PREFIX, MAX_REPLAYS (history.maxConcurrentReplays; the default when unset).
import { createGateway, defineGateway, silentLogger } from 'gangway-ws'
import { natsCluster } from 'gangway-ws/nats'
import { redisCluster } from 'gangway-ws/redis'
import { reply } from './ipc.js'
import { createNodeServer, listen, serveControl } from './node-control.js'

const url = process.env.CLUSTER_URL!
const options = { channelPrefix: process.env.CHANNEL_PREFIX!, logger: silentLogger }
const cluster = url === 'memory' ? undefined : url.startsWith('nats') ? natsCluster(url, options) : redisCluster(url, options)

const gateway = defineGateway({ path: '/ws' })
  .subscribe('join', async (room: string, client) => {
    await client.join(room)
    return true
  })
  .subscribe('echo', (data: unknown) => data)

const app = createGateway({
  gateways: [gateway],
  ...(cluster ? { adapter: cluster } : {}),
  logger: silentLogger,
  rateLimit: false,
  // The storm's 10,000 clients stand for 10,000 devices but come from six loopback addresses: per-address limits
  // (1,000 sockets, 100 handshakes/s by default) would never engage for them in production, so they are off here.
  maxConnectionsPerAddress: false,
  handshakeRateLimit: false,
  history: {
    rooms: [{ match: 'storm:*', size: 1000, ttlMs: 10 * 60_000 }],
    ...(process.env.MAX_REPLAYS ? { maxConcurrentReplays: Number(process.env.MAX_REPLAYS) } : {}),
  },
})
const http = createNodeServer()
app.attach(http)
const port = await listen(http)
await cluster?.ready()
serveControl(http, {
  publish: (room, payload) => app.server().to(room).emit('message', payload),
  close: () => app.close({ timeoutMs: 500 }),
})
reply({ type: 'listening', port })
