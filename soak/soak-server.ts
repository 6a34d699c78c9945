// The gateway under soak, in its own process, written like user code. Events:
//   req {n, pad}      → {n}                        (request/reply ledger)
//   join room         → {room, seq}                (seq = the room's last broadcast when joined)
//   leave room        → {room, seq}
//   publish room      → seq; room members get {event:'tick', data:{room, seq, at}}
// It counts what it did (handled requests, deliveries it owes: room size at each publish) and
// answers 'sample' over IPC with RSS, heap and event-loop delay since the previous sample.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createGateway, defineGateway, silentLogger, type Client } from 'gangway-ws'

const seqs = new Map<string, number>()
const counts = { requests: 0, joins: 0, leaves: 0, publishes: 0, deliveriesOwed: 0 }
let app: ReturnType<typeof createGateway>

const soak = defineGateway({ path: '/soak' })
  .subscribe('req', (data: { n: number; pad: string }) => {
    counts.requests++
    return { n: data.n }
  })
  .subscribe('join', async (room: string, client: Client) => {
    const joined = client.join(room) // membership is in place when join() returns
    const seq = seqs.get(room) ?? 0
    counts.joins++
    await joined
    return { room, seq }
  })
  .subscribe('leave', async (room: string, client: Client) => {
    const left = client.leave(room) // no broadcast reaches this client after this line
    const seq = seqs.get(room) ?? 0
    counts.leaves++
    await left
    return { room, seq }
  })
  .subscribe('publish', (room: string, client: Client) => {
    const seq = (seqs.get(room) ?? 0) + 1
    seqs.set(room, seq)
    counts.publishes++
    counts.deliveriesOwed += client.server.roomSize(room)
    client.server.to(room).emit('tick', { room, seq, at: Date.now() })
    return seq
  })

app = createGateway({ gateways: [soak], logger: silentLogger })
const { port } = await app.listen(0, '127.0.0.1')
const loop = monitorEventLoopDelay({ resolution: 10 })
loop.enable()
process.send?.({ type: 'listening', port })

process.on('message', async (message: { type: string; keepWindow?: boolean }) => {
  if (message.type === 'sample') {
    const memory = process.memoryUsage()
    const server = app.server()
    let memberships = 0
    for (const room of seqs.keys()) memberships += server.roomSize(room)
    process.send?.({
      type: 'sample',
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      connections: app.connectionCount,
      memberships,
      eventLoop: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
      counts: { ...counts },
    })
    if (!message.keepWindow) loop.reset()
  } else if (message.type === 'stop') {
    await app.close({ timeoutMs: 1000 })
    process.exit(0)
  }
})

// Never outlive the process that started this one (a killed test run or coordinator).
process.on('disconnect', () => process.exit(0))
