// A gateway node publishing connection events, for the connection-events tests: a Redis cluster
// adapter with short liveness timings (heartbeat 200 ms, node timeout 1000 ms) and the bridge on
// GANGWAY_TEST_TRANSPORT. `join` joins a room. Reports { port, nodeId } over IPC.
import { createGateway, defineGateway, silentLogger, type Client } from '../../src/index.js'
import { redisCluster } from '../../src/redis/index.js'
import { createTestTransport, type TransportSpec } from './bridge-transports.js'

const spec = JSON.parse(process.env.GANGWAY_TEST_TRANSPORT!) as TransportSpec
const transport = createTestTransport(spec)
const adapter = redisCluster(process.env.GANGWAY_TEST_CLUSTER!, { channelPrefix: spec.prefix, heartbeatIntervalMs: 200, nodeTimeoutMs: 1000, logger: silentLogger })
const gateway = defineGateway({ path: '/ws', connectionEvents: true }).subscribe('join', async (room: string, client: Client) => {
  await client.join(room)
  return room
})
const app = createGateway({ gateways: [gateway], transport, adapter, logger: silentLogger, heartbeat: false })
const { port } = await app.listen(0, '127.0.0.1')
await app.ready()
process.send!({ port, nodeId: app.nodeId })
process.on('SIGTERM', async () => {
  await app.close({ timeoutMs: 500 })
  await transport.close()
  process.exit(0)
})
