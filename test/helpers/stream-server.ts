// A gateway in its own process for backpressure tests: `start { frames, size }` streams frames
// to room "feed" in batches of 50, waiting for the requester's `ack` after each batch.
import { createGateway, defineGateway, silentLogger, type Client } from '../../src/index.js'

let acked: (() => void) | undefined
const gateway = defineGateway({ path: '/ws' })
  .subscribe('join', async (room: string, client: Client) => {
    await client.join(room)
    return room
  })
  .subscribe('ack', () => acked?.())
  .subscribe('start', async ({ frames, size }: { frames: number; size: number }, client: Client) => {
    const chunk = 'x'.repeat(size)
    for (let sent = 0; sent < frames; sent += 50) {
      const ack = new Promise<void>((resolve) => (acked = resolve))
      for (let i = sent; i < Math.min(frames, sent + 50); i++) client.server.to('feed').emit('tick', { i, chunk })
      client.emit('batch', sent)
      await ack
    }
    return { sent: frames }
  })

const app = createGateway({ gateways: [gateway], logger: silentLogger, rateLimit: false, closeTimeoutMs: 30_000 })
const { port } = await app.listen(0, '127.0.0.1')
process.send?.({ port })
process.on('message', async (message) => {
  if (message === 'stop') {
    await app.close({ timeoutMs: 100 })
    process.exit(0)
  }
})
