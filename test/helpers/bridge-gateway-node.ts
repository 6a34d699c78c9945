// A gateway node as a separate process, for the multi-process bridge tests. Started with `fork`,
// configured by the GANGWAY_TEST_TRANSPORT env (a TransportSpec); reports { port, nodeId } over IPC.
import { createGateway, defineGateway, forward, silentLogger, type Client } from '../../src/index.js'
import { createTestTransport, type TransportSpec } from './bridge-transports.js'

const spec = JSON.parse(process.env.GANGWAY_TEST_TRANSPORT!) as TransportSpec
const transport = createTestTransport(spec)
const gateway = defineGateway({ path: '/ws', connectionGuards: [(h) => ({ id: h.query.get('user') ?? 'anon' })] })
  .subscribe('ask', forward('e2e.ask', { timeoutMs: 8000 }))
  .subscribe('slow', forward('e2e.slow', { timeoutMs: 800 }))
  .subscribe('victim', forward('e2e.victim', { timeoutMs: 15_000 }))
  .subscribe('victim-short', forward('e2e.victim', { timeoutMs: 2_000 }))
  .subscribe('announce', forward('e2e.announce', { timeoutMs: 8000 }))
  .subscribe('join', async ({ room }: { room: string }, client: Client) => {
    await client.join(room)
    return { room }
  })
const app = createGateway({ gateways: [gateway], transport, logger: silentLogger, rateLimit: false, heartbeat: false })
const { port } = await app.listen(0, '127.0.0.1')
await app.ready()
process.send!({ port, nodeId: app.nodeId })
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'stats') process.send!({ stats: transport.stats })
})
process.on('SIGTERM', async () => {
  await app.close({ timeoutMs: 500 })
  await transport.close()
  process.exit(0)
})
