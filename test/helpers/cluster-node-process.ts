// One gateway node of a multi-process cluster test, run as a child process.
// env: CLUSTER_URL (redis://, nats:// or memory), NODE_ID. It listens on a free
// loopback port and tells its parent { port } over IPC.
//
// /ws (namespace '/'): ?user=<id> sets the user; events whoami, join ({ room, presence?, meta? }), leave, say, and
// slow { ms, n } (answers { n, nodeId } after ms milliseconds: a request that is in flight).
// /control (namespace '/control'): lets the test drive the node's push API and
// read its adapter's state and what its bus subscriber saw, per channel.
// env HISTORY (JSON): the gateway's `history` option; `published { tag }` then says which of a
// stream's messages the node accepted and which it refused (a publish that threw or rejected).
import {
  clusterAdapter,
  createGateway,
  defineGateway,
  silentLogger,
  type BroadcastOperator,
  type ClusterAdapter,
  type ClusterBus,
  type ClusterState,
  type GatewayAppOptions,
  type Server,
} from '../../src/index.js'
import { RedisBus, redisHistoryStore } from '../../src/redis/index.js'
import { NatsBus, natsHistoryStore } from '../../src/nats/index.js'
import { interceptIncoming } from './wrapped-bus.js'

const url = process.env.CLUSTER_URL ?? ''
const nodeId = process.env.NODE_ID!

/** Per stream tag: the seqs whose publish was accepted, and those refused with the error's code. */
const published = new Map<string, { accepted: number[]; refused: Array<{ seq: number; code: string }>; settled: number }>()

/** Publishes one message and books its outcome: a publish that returns a promise is booked when it settles. */
function publishBooked(op: BroadcastOperator, tag: string, seq: number, data: unknown): void {
  const book = published.get(tag) ?? { accepted: [], refused: [], settled: 0 }
  published.set(tag, book)
  const refuse = (error: unknown) => {
    book.refused.push({ seq, code: String((error as { code?: unknown })?.code ?? error) })
    book.settled++
  }
  const accept = () => {
    book.accepted.push(seq)
    book.settled++
  }
  try {
    const outcome: unknown = op.emit('msg', data)
    if (outcome instanceof Promise) outcome.then(accept, refuse)
    else accept()
  } catch (error) {
    refuse(error)
  }
}

/** Counts what the subscriber side of the bus receives, per channel. */
const seenPerChannel = new Map<string, number>()
function counting(inner: ClusterBus): ClusterBus {
  return interceptIncoming(inner, (channel) => {
    seenPerChannel.set(channel, (seenPerChannel.get(channel) ?? 0) + 1)
    return true
  })
}

const bus = url.startsWith('redis') ? new RedisBus(url) : new NatsBus(url, { reconnectTimeWaitMs: 100 })
const cluster: ClusterAdapter = clusterAdapter(counting(bus), { logger: silentLogger, channelPrefix: process.env.CLUSTER_PREFIX ?? 'gangway' })
const states: ClusterState[] = []
cluster.on('state', (state) => states.push(state))

interface Target {
  rooms?: string[]
  users?: string[]
  connections?: string[]
  exceptRooms?: string[]
  all?: boolean
}

function operator(server: Server, target: Target): BroadcastOperator {
  let op: BroadcastOperator = server
  if (target.rooms?.length) op = op.to(target.rooms)
  if (target.users?.length) op = op.toUser(target.users)
  if (target.connections?.length) op = op.toConnection(target.connections)
  if (target.exceptRooms?.length) op = op.except(target.exceptRooms)
  return op
}

const chat = defineGateway({
  path: '/ws',
  connectionGuards: [(handshake) => handshake.query.get('user') ?? true],
})
  .subscribe('whoami', (_data: unknown, client) => ({ id: client.id, nodeId }))
  .subscribe('join', async ({ room, presence, meta }: { room: string; presence?: boolean; meta?: unknown }, client) => {
    await client.join(room, { presence, meta })
    return { room }
  })
  .subscribe('leave', async ({ room }: { room: string }, client) => {
    await client.leave(room)
    return { room }
  })
  .subscribe('slow', async ({ ms, n }: { ms: number; n: number }) => {
    await new Promise((resolve) => setTimeout(resolve, ms))
    return { n, nodeId }
  })
  .subscribe('say', ({ room, data }: { room: string; data: unknown }, client) => {
    client.server.to(room).except(client).emit('msg', data)
    return true
  })

const control = defineGateway({ path: '/control', namespace: '/control' })
  // stamp: each message carries `at`, the wall-clock time of its publish in ms (sub-ms precision), for latency.
  // first: the seq of the first message (a test continuing a stream numbers on). @default 0
  .subscribe('emit', ({ target, tag, count, intervalMs, stamp, first = 0 }: { target: Target; tag: string; count: number; intervalMs?: number; stamp?: boolean; first?: number }) => {
    const op = operator(app.server('/'), target)
    // A paced stream is always stamped: failover tests check losses against a client's timeline.
    const message = (seq: number) => (stamp || intervalMs ? { tag, seq, at: performance.timeOrigin + performance.now() } : { tag, seq })
    if (!intervalMs) {
      for (let seq = first; seq < first + count; seq++) publishBooked(op, tag, seq, message(seq))
      return { sent: count }
    }
    let seq = first
    const timer = setInterval(() => {
      publishBooked(op, tag, seq, message(seq))
      seq++
      if (seq === first + count) clearInterval(timer)
    }, intervalMs)
    return { started: count }
  })
  .subscribe('published', ({ tag }: { tag: string }) => published.get(tag) ?? { accepted: [], refused: [], settled: 0 })
  .subscribe('fetchRoomSize', ({ room, timeoutMs }: { room: string; timeoutMs?: number }) => app.server('/').fetchRoomSize(room, { timeoutMs }))
  .subscribe('fetchRoomMembers', ({ room, timeoutMs }: { room: string; timeoutMs?: number }) => app.server('/').fetchRoomMembers(room, { timeoutMs }))
  .subscribe('presence', ({ room, timeoutMs }: { room: string; timeoutMs?: number }) => app.server('/').presence(room, { timeoutMs }))
  .subscribe('ban', ({ userId, code, timeoutMs }: { userId: string; code: number; timeoutMs?: number }) =>
    app.server('/').disconnectUserEverywhere(userId, { code, reason: 'banned', timeoutMs }),
  )
  .subscribe('status', () => ({
    state: cluster.state,
    states,
    stats: cluster.stats(),
    nodes: cluster.nodes(),
    seen: Object.fromEntries(seenPerChannel),
  }))

const channelPrefix = process.env.CLUSTER_PREFIX ?? 'gangway'
/** The store is passed explicitly: this adapter wraps its bus (to count what it sees), so it has no store of its own. */
function historyOption(): GatewayAppOptions['history'] {
  if (!process.env.HISTORY) return undefined
  // JetStream keeps at most maxMessagesPerRoom per room whatever a room's size: as many as the largest test room keeps.
  const store = url.startsWith('redis') ? redisHistoryStore(url, { prefix: channelPrefix }) : natsHistoryStore(url, { prefix: channelPrefix, maxMessagesPerRoom: 5000 })
  return { ...(JSON.parse(process.env.HISTORY) as object), store }
}
const app = createGateway({ gateways: [chat, control], nodeId, logger: silentLogger, adapter: cluster, heartbeat: false, rateLimit: false, history: historyOption() })
const { port } = await app.listen(0, '127.0.0.1')
await cluster.ready()
process.send!({ port })

process.on('message', async (message: { cmd?: string }) => {
  if (message?.cmd !== 'stop') return
  await app.close({ timeoutMs: 500 })
  process.exit(0)
})
process.on('disconnect', () => process.exit(0))
