// One gateway node in its own process, for tests that kill it or measure it: events `echo` (sync)
// and `slow` (answers after `data.ms`), `join`. A bearer token, when sent, must be "valid" (401
// otherwise). Sends { port } over IPC once listening; answers 'stats' with its connections, room
// memberships, open file descriptors and heap (after a GC when run with --expose-gc).
import { readdirSync } from 'node:fs'
import { bearerToken, createGateway, defineGateway, silentLogger, type Client, type HandshakeContext } from '../../src/index.js'

const auth = (handshake: HandshakeContext) => {
  const token = bearerToken(handshake)
  return token === undefined ? true : token === 'valid' ? { id: 'user' } : null
}

const gateway = defineGateway({ path: '/ws', connectionGuards: [auth] })
  .subscribe('echo', (data) => data)
  .subscribe('slow', async (data: { ms: number; n: number }) => {
    await new Promise((resolve) => setTimeout(resolve, data.ms))
    return data.n
  })
  .subscribe('join', async (room: string, client: Client) => {
    await client.join(room)
    return room
  })

const app = createGateway({ gateways: [gateway], logger: silentLogger, rateLimit: false, maxConnectionsPerAddress: false, handshakeRateLimit: false })
const { port } = await app.listen(0, '127.0.0.1')
process.send?.({ port })
// F7: SIGTERM drains (in-flight handlers finish, new frames get UNAVAILABLE), closes with 1001, exits 0.
process.once('SIGTERM', async () => {
  await app.close({ timeoutMs: 5000 })
  process.exit(0)
})
process.on('message', async (message) => {
  if (message === 'stats') {
    ;(globalThis as { gc?: () => void }).gc?.()
    const server = app.server()
    process.send?.({
      connections: app.connectionCount,
      memberships: server.roomSize('churn') + server.roomSize('herd'),
      fds: readdirSync('/proc/self/fd').length,
      heapUsed: process.memoryUsage().heapUsed,
    })
  } else if (message === 'stop') {
    await app.close({ timeoutMs: 100 })
    process.exit(0)
  }
})

// Never outlive the process that started this one (a killed test run or coordinator).
process.on('disconnect', () => process.exit(0))
