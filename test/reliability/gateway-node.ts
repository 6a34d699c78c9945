// One gateway node in its own process, for tests that kill it: events `echo` (sync) and `slow`
// (answers after `data.ms`), `join`. Sends { port } over IPC once listening.
import { createGateway, defineGateway, silentLogger, type Client } from '../../src/index.js'

const gateway = defineGateway({ path: '/ws' })
  .subscribe('echo', (data) => data)
  .subscribe('slow', async (data: { ms: number; n: number }) => {
    await new Promise((resolve) => setTimeout(resolve, data.ms))
    return data.n
  })
  .subscribe('join', async (room: string, client: Client) => {
    await client.join(room)
    return room
  })

const app = createGateway({ gateways: [gateway], logger: silentLogger, rateLimit: false, maxConnectionsPerAddress: false })
const { port } = await app.listen(0, '127.0.0.1')
process.send?.({ port })
// F7: SIGTERM drains (in-flight handlers finish, new frames get UNAVAILABLE), closes with 1001, exits 0.
process.once('SIGTERM', async () => {
  await app.close({ timeoutMs: 5000 })
  process.exit(0)
})
process.on('message', async (message) => {
  if (message === 'stop') {
    await app.close({ timeoutMs: 100 })
    process.exit(0)
  }
})
