// L4 — cross-node room broadcast: 300 sockets in one room over 3 nodes (100 each) on a private
// Redis, node A publishing 30 msgs/s for 20 s (~9,000 deliveries/s).
//
// Guarantee checked: with a healthy broker every member gets every message exactly once and in
// order — per receiver gaps = duplicates = reorders = 0, accepted (every message published while it
// was joined) = delivered, nothing reported failed (publishDropped = broadcastsMissed = 0). The
// publish→receive latency (publisher's clock at emit to the client's at arrival, same machine) is
// reported as p50/p99/max for members on other nodes and on A. L4_SECONDS / L4_RATE change the run.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import WebSocket from 'ws'
import { startPrivateRedis, waitFor } from '../helpers/cluster-brokers.js'
import { startClusterNodes, type ClusterNode } from '../helpers/cluster-nodes.js'

const PER_NODE = 100
const RATE = Number(process.env.L4_RATE ?? 30)
const SECONDS = Number(process.env.L4_SECONDS ?? 20)
const COUNT = RATE * SECONDS

/** A bare member: counts what a user would see of the stream, with the latency of each message. */
class Receiver {
  ws: WebSocket | undefined
  next = 0
  delivered = 0
  gaps = 0
  duplicates = 0
  reorders = 0
  readonly latencies: number[] = []

  constructor(readonly url: string) {}

  async join(): Promise<void> {
    const ws = (this.ws = new WebSocket(this.url))
    ws.on('error', () => {})
    await once(ws, 'open')
    const joined = new Promise<void>((resolve) => {
      ws.on('message', (raw: Buffer) => {
        const arrived = performance.timeOrigin + performance.now()
        const frame = JSON.parse(raw.toString()) as { event: string; id?: number; data?: { seq: number; at: number } }
        if (frame.id === 1) return resolve()
        if (frame.event !== 'msg' || frame.data === undefined) return
        const { seq, at } = frame.data
        this.latencies.push(arrived - at)
        if (seq === this.next) {
          this.delivered++
          this.next++
        } else if (seq > this.next) {
          this.gaps += seq - this.next
          this.delivered++
          this.next = seq + 1
        } else if (seq === this.next - 1) {
          this.duplicates++
        } else {
          this.reorders++
        }
      })
    })
    ws.send(JSON.stringify({ event: 'join', data: { room: 'live' }, id: 1 }))
    await joined
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!
}

function latency(receivers: Receiver[]) {
  const all = receivers.flatMap((r) => r.latencies).sort((x, y) => x - y)
  const round = (ms: number) => Math.round(ms * 10) / 10
  return { p50: round(percentile(all, 50)), p99: round(percentile(all, 99)), max: round(all[all.length - 1] ?? NaN), samples: all.length }
}

test(`L4: ${PER_NODE * 3} members over 3 nodes on Redis, ${RATE} msgs/s for ${SECONDS} s — every member gets every message once, in order`, { timeout: 60_000 + SECONDS * 2000 }, async (t) => {
  const broker = await startPrivateRedis(t.after.bind(t))
  const nodes = (await startClusterNodes(t, broker.url, 3)) as [ClusterNode, ClusterNode, ClusterNode]
  const receivers = nodes.map((node) => Array.from({ length: PER_NODE }, () => new Receiver(`ws://127.0.0.1:${node.port}/ws`)))
  t.after(() => receivers.flat().forEach((r) => r.ws?.terminate()))
  // Joins in batches: 300 handshakes at once would make the first messages' latency mostly queueing.
  for (const batch of receivers) await Promise.all(batch.map((r) => r.join()))
  const all = receivers.flat()

  const startedAt = Date.now()
  await nodes[0].control('emit', { target: { rooms: ['live'] }, tag: 'l4', count: COUNT, intervalMs: Math.round(1000 / RATE), stamp: true })
  await waitFor('every member to get the last message', () => all.every((r) => r.next === COUNT), SECONDS * 1000 + 30_000)
  const elapsedS = (Date.now() - startedAt) / 1000
  await new Promise((resolve) => setTimeout(resolve, 200)) // anything late or doubled would show now

  const stats = await Promise.all(nodes.map((node) => node.status()))
  const sum = (key: 'delivered' | 'gaps' | 'duplicates' | 'reorders') => all.reduce((total, r) => total + r[key], 0)
  const reportedFailed = stats[0]!.stats.publishDropped * (all.length - PER_NODE) + (stats[1]!.stats.broadcastsMissed + stats[2]!.stats.broadcastsMissed) * PER_NODE
  const accepted = COUNT * all.length
  const delivered = sum('delivered')
  const ledger = {
    case: 'L4 cross-node broadcast via Redis, 3 nodes',
    accepted,
    delivered,
    reportedFailed,
    lost: accepted - delivered - reportedFailed,
    gaps: sum('gaps'),
    duplicates: sum('duplicates'),
    reorders: sum('reorders'),
    connections: all.length,
    messages: COUNT,
    deliveriesPerS: Math.round(delivered / elapsedS),
    durationS: Math.round(elapsedS * 10) / 10,
    latencyRemoteMs: latency([...receivers[1]!, ...receivers[2]!]),
    latencyLocalMs: latency(receivers[0]!),
  }
  t.diagnostic(`LEDGER ${JSON.stringify(ledger)}`)
  assert.equal(ledger.gaps + ledger.duplicates + ledger.reorders, 0)
  assert.equal(ledger.reportedFailed, 0, 'a healthy broker loses nothing')
  assert.equal(ledger.lost, 0)
  assert.equal(delivered, accepted)
})
