import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { clusterAdapter, defineGateway, type ClusterBus, type ClusterLossKind } from '../src/index.js'
import { MemoryBroker } from '../src/testing/index.js'
import { prometheusObserver } from '../src/metrics/index.js'
import { Registry } from 'prom-client'
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text.js'
import { encodeBroadcast } from '../src/cluster/cluster-codec.js'
import { encodeEvent } from '../src/protocol/frames.js'
import { captureLogger } from './helpers/capture-logger.js'
import { interceptIncoming } from './helpers/wrapped-bus.js'
import { eventually, sleep, startGateway } from './helpers/start-gateway.js'

// Guarantee: a cross-node broadcast lost on the way to a node that was subscribed the whole
// time is never silent: the receiver counts it (stats().broadcastsMissed, a 'loss' event, a
// warning), and a loss the publisher already counted (publishDropped) is not counted twice.

const chat = defineGateway({ path: '/ws' }).subscribe('join', async (room: string, client) => {
  await client.join(room)
  return room
})

// Node expiry is not what these tests exercise: a timeout far above any stall of this process keeps nodes known.
const fast = { heartbeatIntervalMs: 100, nodeTimeoutMs: 2000, healthCheckIntervalMs: 100, healthCheckTimeoutMs: 200 }
const everyone = { rooms: ['r'], users: [], connections: [], exceptRooms: [], exceptConnections: [] }

/** A bus that loses what `drop(channel)` says, on the way in: a subscription that lapsed in an outage. */
const lossy = (inner: ClusterBus, drop: (channel: string) => boolean): ClusterBus => interceptIncoming(inner, (channel) => !drop(channel))

async function node(t: TestContext, bus: ClusterBus, nodeId?: string) {
  const logger = captureLogger()
  const cluster = clusterAdapter(bus, { ...fast, logger })
  const losses: Array<[ClusterLossKind, number]> = []
  cluster.on('loss', (kind, count) => losses.push([kind, count]))
  const registry = new Registry()
  const started = await startGateway(t, { gateways: [chat], adapter: cluster, observers: [prometheusObserver({ registry })], nodeId })
  await cluster.ready()
  const lostMetric = async (kind: ClusterLossKind) =>
    sampleValue(parsePrometheusText(await registry.metrics()), 'gangway_broker_messages_lost_total', { component: 'cluster:memory', kind })
  return Object.assign(started, { cluster, logger, losses, lostMetric })
}

function seqs(frames: Array<{ event?: string; data?: unknown }>): number[] {
  return frames.filter((f) => f.event === 'n').map((f) => f.data as number)
}

test('broadcasts lost on the way in are counted by the receiver, once, and the rest arrive in order', async (t) => {
  const broker = new MemoryBroker()
  let dropping = false
  const a = await node(t, broker.createBus())
  const b = await node(t, lossy(broker.createBus(), (channel) => dropping && channel.includes('.room.')))
  const socket = await b.connect()
  await socket.request('join', 'r')
  const server = a.app.server()
  for (let i = 0; i < 30; i++) {
    dropping = i >= 10 && i < 17
    server.to('r').emit('n', i)
    await sleep(1) // the memory broker delivers asynchronously: let each one pass the filter in its turn
  }
  await eventually(() => seqs(socket.frames).length === 23, 2000, 'the 23 broadcasts not lost')
  assert.deepEqual(seqs(socket.frames), [...Array(10).keys(), ...Array.from({ length: 13 }, (_, i) => 17 + i)])
  assert.equal(b.cluster.stats().broadcastsMissed, 7)
  assert.deepEqual(b.losses, [['broadcastsMissed', 7]])
  assert.equal(a.cluster.stats().publishDropped, 0)
  const warning = b.logger.entries.find((e) => e.level === 'warn' && e.obj.missed !== undefined)
  assert.equal(warning?.obj.missed, 7, 'a warning with the count')
  assert.equal(await b.lostMetric('broadcastsMissed'), 7, 'and the metric')
})

test('a loss the publisher counted (broker away) is not counted again by the receiver', async (t) => {
  const broker = new MemoryBroker()
  const a = await node(t, broker.createBus())
  const b = await node(t, broker.createBus())
  const socket = await b.connect()
  await socket.request('join', 'r')
  const server = a.app.server()
  for (let i = 0; i < 5; i++) server.to('r').emit('n', i)
  await eventually(() => seqs(socket.frames).length === 5, 2000, 'the first five')
  broker.stop()
  await eventually(() => a.cluster.state === 'reconnecting', 2000, 'A to see the outage')
  for (let i = 5; i < 9; i++) server.to('r').emit('n', i)
  broker.start()
  await eventually(() => a.cluster.state === 'connected' && b.cluster.state === 'connected', 2000, 'the reconnect')
  await sleep(50)
  for (let i = 9; i < 12; i++) server.to('r').emit('n', i)
  await eventually(() => seqs(socket.frames).length === 8, 2000, 'the three after the outage')
  assert.deepEqual(seqs(socket.frames), [0, 1, 2, 3, 4, 9, 10, 11])
  assert.equal(a.cluster.stats().publishDropped, 4)
  assert.equal(b.cluster.stats().broadcastsMissed, 0, 'counted once, at the publisher')
  assert.equal(await a.lostMetric('publishDropped'), 4)
  // accepted = delivered + reported failed
  assert.equal(12, 8 + a.cluster.stats().publishDropped + b.cluster.stats().broadcastsMissed)
})

test('a late or duplicate copy is dropped and counted; a re-join starts a new baseline', async (t) => {
  const broker = new MemoryBroker()
  const b = await node(t, broker.createBus())
  const socket = await b.connect()
  await socket.request('join', 'r')
  const intruder = broker.createBus()
  await intruder.start({ message() {}, state() {} })
  t.after(() => intruder.close())
  const channel = b.cluster.channels.room('/', 'r')
  const send = (channelSeq: number, n: number) => intruder.publish(channel, encodeBroadcast('ghost', 0, n + 1, '/', everyone, 1, [channelSeq], encodeEvent('n', n)))
  // numbers 0, 1, 4 (2 and 3 missed), then 3 late, 4 again, 5
  for (const [channelSeq, n] of [[0, 0], [1, 1], [4, 4], [3, 3], [4, 40], [5, 5]] as const) send(channelSeq, n)
  await eventually(() => seqs(socket.frames).length === 4, 2000, 'the four in order')
  await sleep(20)
  assert.deepEqual(seqs(socket.frames), [0, 1, 4, 5])
  assert.equal(b.cluster.stats().broadcastsMissed, 2)
  assert.equal(b.cluster.stats().lateDropped, 2)

  // Another protocol version is malformed, as before (and not numbered).
  const v1 = Buffer.from(encodeBroadcast('ghost', 0, 99, '/', everyone, 1, [9], encodeEvent('n', 9)))
  v1[0] = 1
  intruder.publish(channel, v1)
  await eventually(() => b.cluster.stats().malformed === 1, 2000, 'the old-version message counted malformed')

  await socket.request('join', 'r') // already a member: the subscription stays, so does the baseline
  send(7, 7)
  await eventually(() => seqs(socket.frames).length === 5, 2000, 'the next one')
  assert.equal(b.cluster.stats().broadcastsMissed, 3, '6 missed')
})

test('a multi-channel broadcast is numbered per channel: copies on each are in order, members get it once', async (t) => {
  const broker = new MemoryBroker()
  const a = await node(t, broker.createBus())
  const b = await node(t, broker.createBus())
  const [both, onlyS] = [await b.connect(), await b.connect()]
  await both.request('join', 'r')
  await both.request('join', 's')
  await onlyS.request('join', 's')
  const server = a.app.server()
  server.to('s').emit('n', 0) // s is ahead of r
  for (let i = 1; i <= 20; i++) server.to(['r', 's']).emit('n', i)
  await eventually(() => seqs(onlyS.frames).length === 21 && seqs(both.frames).length === 21, 2000, 'every broadcast')
  assert.deepEqual(seqs(both.frames), [...Array(21).keys()])
  const stats = b.cluster.stats()
  assert.equal(stats.broadcastsMissed, 0)
  assert.equal(stats.lateDropped, 0)
  assert.equal(stats.duplicatesDropped, 20)
})

test('a node restarted with the same node id after a crash: its broadcasts are not taken for late copies, and its first lost ones are counted', async (t) => {
  const broker = new MemoryBroker()
  let crashed = false
  let dropRoom = 0
  // B never hears the first node's goodbye (as after a SIGKILL) and loses the new node's first two broadcasts.
  const b = await node(t, lossy(broker.createBus(), (channel) => (crashed && channel.endsWith('.ctl')) || (channel.includes('.room.') && dropRoom > 0 && dropRoom-- > 0)))
  const socket = await b.connect()
  await socket.request('join', 'r')
  const first = await node(t, broker.createBus(), 'same')
  for (let i = 0; i < 10; i++) first.app.server().to('r').emit('n', i)
  await eventually(() => seqs(socket.frames).length === 10, 2000, 'the first ten')
  crashed = true
  await first.app.close({ timeoutMs: 100 })
  await sleep(50) // the goodbye is delivered asynchronously: let it be lost
  crashed = false
  dropRoom = 2
  const again = await node(t, broker.createBus(), 'same')
  for (let i = 10; i < 20; i++) again.app.server().to('r').emit('n', i)
  await eventually(() => seqs(socket.frames).length === 18, 2000, 'the eight that were not lost')
  assert.deepEqual(seqs(socket.frames), [...Array(10).keys(), ...Array.from({ length: 8 }, (_, i) => 12 + i)])
  assert.equal(b.cluster.stats().broadcastsMissed, 2)
  assert.equal(b.cluster.stats().lateDropped, 0)
})
