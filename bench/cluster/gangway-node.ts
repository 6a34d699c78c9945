// One gangway node of the cluster benchmark (child process). env: CLUSTER_URL, NODE_ID, CHANNEL_PREFIX,
// and HISTORY=1 (bench:history) for history on in every room. Reports { port } to its parent over IPC,
// answers { cmd: 'cpu' } with its CPU time; exits when the parent says stop or goes away.
import { createGateway, defineGateway, silentLogger } from 'gangway-ws'
import { redisCluster } from 'gangway-ws/redis'
import { natsCluster } from 'gangway-ws/nats'

const url = process.env.CLUSTER_URL!
const options = { channelPrefix: process.env.CHANNEL_PREFIX!, logger: silentLogger }
const cluster = url.startsWith('nats') ? natsCluster(url, options) : redisCluster(url, options)

const gateway = defineGateway({ path: '/ws' })
  .subscribe('join', async (room: string, client) => {
    await client.join(room)
    return true
  })
  .subscribe('publish', ({ room, payload }: { room: string; payload: unknown }, client) => {
    client.server.to(room).emit('message', payload)
  })

// The publisher sends faster than the default per-connection rate limit: the benchmark measures fan-out, not the limiter.
const history = process.env.HISTORY === '1' ? { history: { rooms: [{ match: '*', size: 1000, ttlMs: 10 * 60_000 }] } } : {}
const app = createGateway({ gateways: [gateway], adapter: cluster, nodeId: process.env.NODE_ID, logger: silentLogger, rateLimit: false, ...history })
const { port } = await app.listen(0, '127.0.0.1')
await cluster.ready()
process.send!({ port })
const stop = async () => {
  await app.close({ timeoutMs: 200 })
  process.exit(0)
}
process.on('message', (message: { cmd?: string }) => {
  if (message?.cmd === 'stop') void stop()
  if (message?.cmd === 'cpu') {
    const { user, system } = process.cpuUsage()
    process.send!({ cpuMicros: user + system })
  }
})
process.on('disconnect', () => process.exit(0))
