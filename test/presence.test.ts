import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { clusterAdapter, defineGateway, type ClusterAdapter, type ClusterBus, type ClusterOptions, type PresenceMember } from '../src/index.js'
import { MemoryBroker } from '../src/testing/index.js'
import { captureLogger } from './helpers/capture-logger.js'
import { PresenceWatch, keyOf } from './helpers/presence-watch.js'
import { eventually, sleep, startGateway, type StartedGateway } from './helpers/start-gateway.js'
import type { TestSocket } from './helpers/test-socket.js'
import { interceptIncoming, wrapBus } from './helpers/wrapped-bus.js'

// Presence on one node (the in-memory adapter) and across nodes over the in-memory broker: the
// semantics, and the faults the multi-process tests cannot provoke exactly (a lost diff, a node
// restarted under the same id, a broker outage with joins and leaves in it).

interface JoinData {
  room: string
  presence?: boolean
  meta?: unknown
}

const gateway = defineGateway({ path: '/ws', connectionGuards: [(h) => h.query.get('user') ?? true] })
  .subscribe('join', async ({ room, presence, meta }: JoinData, client) => {
    await client.join(room, { presence, meta })
    return room
  })
  .subscribe('leave', async (room: string, client) => {
    await client.leave(room)
    return room
  })
  .subscribe('presence', async (room: string, client) => (await client.server.presence(room)).value)
  .subscribe('badMeta', async (meta: unknown, client) => {
    try {
      await client.join('r', { meta: meta === 'cycle' ? cycle() : meta })
      return 'joined'
    } catch (error) {
      return (error as { code?: string }).code
    }
  })

function cycle(): unknown {
  const value: Record<string, unknown> = {}
  value.self = value
  return value
}

const fast: ClusterOptions = { heartbeatIntervalMs: 100, nodeTimeoutMs: 400, healthCheckIntervalMs: 100, healthCheckTimeoutMs: 200 }

type Node = StartedGateway & { cluster?: ClusterAdapter }

async function single(t: TestContext): Promise<Node> {
  return startGateway(t, { gateways: [gateway] })
}

async function node(t: TestContext, broker: MemoryBroker, options: { nodeId?: string; bus?: (bus: ClusterBus) => ClusterBus } = {}): Promise<Node> {
  const bus = broker.createBus()
  const cluster = clusterAdapter(options.bus ? options.bus(bus) : bus, { ...fast, logger: captureLogger() })
  const started = await startGateway(t, { gateways: [gateway], adapter: cluster, nodeId: options.nodeId })
  await cluster.ready()
  return Object.assign(started, { cluster })
}

async function cluster3(t: TestContext, broker = new MemoryBroker()): Promise<Node[]> {
  const nodes = [await node(t, broker), await node(t, broker), await node(t, broker)]
  await eventually(() => nodes.every((n) => n.cluster!.nodes().length === 2), 3000, 'the nodes to know each other')
  return nodes
}

/** A connection of `user` (anonymous without one) that joined `room`. */
async function member(n: Node, room: string, user?: string, meta?: unknown): Promise<TestSocket> {
  const socket = await n.connect(user === undefined ? '/ws' : `/ws?user=${user}`)
  await socket.request('join', { room, meta })
  return socket
}

/** A connection that joined `room` as a watcher, and its view of the room. */
async function watcher(n: Node, room: string, user?: string): Promise<{ socket: TestSocket; watch: PresenceWatch }> {
  const socket = await n.connect(user === undefined ? '/ws' : `/ws?user=${user}`)
  const watch = new PresenceWatch(room, socket.ws)
  const reply = await socket.request('join', { room, presence: true })
  assert.equal(reply.data, room)
  assert.ok(watch.started, 'the members arrive before the join is answered')
  return { socket, watch }
}

function keys(members: readonly PresenceMember[]): string[] {
  return members.map(keyOf).sort()
}

function presenceFrames(socket: TestSocket): number {
  return socket.frames.filter((f) => f.event === '$presence').length
}

test('server.presence groups connections by user, with each connection’s node and meta', async (t) => {
  const n = await single(t)
  const ada1 = await member(n, 'lobby', 'ada', { name: 'Ada', tab: 1 })
  await member(n, 'lobby', 'ada', { name: 'Ada', tab: 2 })
  await member(n, 'lobby', 'bob')
  const anonymous = await member(n, 'lobby')
  await member(n, 'elsewhere', 'cy')

  const answer = await n.app.server().presence('lobby')
  assert.equal(answer.complete, true)
  assert.deepEqual(answer.nodes, [n.app.nodeId])
  const byKey = new Map(answer.value.map((m) => [keyOf(m), m]))
  const anonymousId = [...n.app.server().connections()].find((c) => c.userId === undefined && c.rooms.has('lobby'))!.id
  assert.ok(anonymous)
  assert.deepEqual([...byKey.keys()].sort(), ['ada', 'bob', `#${anonymousId}`].sort())
  const ada = byKey.get('ada')!
  assert.equal(ada.connections.length, 2)
  assert.deepEqual(ada.connections.map((c) => c.meta).sort((a, b) => (a as { tab: number }).tab - (b as { tab: number }).tab), [{ name: 'Ada', tab: 1 }, { name: 'Ada', tab: 2 }])
  assert.ok(ada.connections.every((c) => c.nodeId === n.app.nodeId))
  assert.equal(byKey.get('bob')!.connections[0]!.meta, undefined)
  assert.equal(byKey.get(`#${anonymousId}`)!.userId, null)

  // Handlers see the same through their client's server.
  assert.deepEqual(keys((await ada1.request('presence', 'lobby')).data), [...byKey.keys()].sort())
  assert.deepEqual((await n.app.server().presence('nobody-here')).value, [])
})

test('presence meta is bounded and copied: more than 1 KiB or a value JSON cannot carry is refused', async (t) => {
  const n = await single(t)
  const socket = await n.connect('/ws?user=ada')
  assert.equal((await socket.request('badMeta', 'x'.repeat(1100))).data, 'INVALID_ARGUMENT')
  assert.equal((await socket.request('badMeta', 'cycle')).data, 'INVALID_ARGUMENT')
  assert.equal(n.app.server().roomSize('r'), 0, 'a refused join joins nothing')
  assert.equal((await socket.request('badMeta', { name: 'x'.repeat(1000) })).data, 'joined')
})

test('a watcher gets the members first, then one diff per user: a second tab is no join, the last tab leaving is one leave', async (t) => {
  const n = await single(t)
  await member(n, 'lobby', 'bob')
  const { watch } = await watcher(n, 'lobby', 'ada')
  assert.deepEqual(watch.keys(), ['ada', 'bob'], 'the watcher sees itself and who was there')

  const tab1 = await member(n, 'lobby', 'cy', { tab: 1 })
  await eventually(() => watch.members.has('cy'), 2000, 'cy to join')
  const cyJoin = watch.frames.at(-1) as { joins: PresenceMember[] }
  assert.deepEqual(cyJoin.joins.map((m) => m.connections.map((c) => c.meta)), [[{ tab: 1 }]])
  const tab2 = await member(n, 'lobby', 'cy', { tab: 2 })
  const framesBefore = watch.frames.length
  await tab1.close()
  await eventually(() => n.app.server().roomSize('lobby') === 3, 2000, 'tab 1 to be gone')
  await sleep(100)
  assert.equal(watch.frames.length, framesBefore, 'a second tab joining and the first leaving change no member')
  await tab2.close()
  await eventually(() => !watch.members.has('cy'), 2000, 'cy to leave with the last tab')
  const cyLeave = watch.frames.at(-1) as { leaves: PresenceMember[]; joins: PresenceMember[] }
  assert.deepEqual({ joins: cyLeave.joins.length, leaves: cyLeave.leaves.map(keyOf) }, { joins: 0, leaves: ['cy'] })
  assert.deepEqual(cyLeave.leaves[0]!.connections.map((c) => c.meta), [{ tab: 2 }], 'a leave carries the member as it was')
  assert.deepEqual(watch.violations, [])
})

test('changes in one tick reach watchers in one frame; leaving the room ends the frames', async (t) => {
  const n = await single(t)
  const { socket, watch } = await watcher(n, 'lobby', 'ada')
  const other = await watcher(n, 'lobby', 'eve')
  const before = presenceFrames(socket)
  // Joins and leaves of one tick, straight on the registry: one frame for all of them.
  const server = n.app.server()
  const sockets = await Promise.all(Array.from({ length: 20 }, (_, i) => n.connect(`/ws?user=u${i}`)))
  const clients = [...server.connections()].filter((c) => c.userId?.startsWith('u'))
  assert.equal(clients.length, 20)
  for (const client of clients) void client.join('lobby')
  await eventually(() => watch.members.size === 22, 2000, 'the 20 joins')
  assert.equal(presenceFrames(socket), before + 1, 'twenty joins, one frame')
  assert.equal((watch.frames.at(-1) as { joins: unknown[] }).joins.length, 20)
  for (const client of clients) void client.leave('lobby')
  await eventually(() => watch.members.size === 2, 2000, 'the 20 leaves')
  assert.equal(presenceFrames(socket), before + 2)
  // Leave then join again in one tick: no change at all.
  void clients[0]!.join('lobby')
  await eventually(() => watch.members.size === 3, 2000)
  const framesBefore = watch.frames.length
  void clients[0]!.leave('lobby')
  void clients[0]!.join('lobby')
  await sleep(100)
  assert.equal(watch.frames.length, framesBefore, 'a leave and a join again in one tick are no change')

  await other.socket.request('leave', 'lobby')
  await sockets[1]!.request('join', { room: 'lobby' })
  await eventually(() => watch.members.has('u1'), 2000)
  assert.equal(other.watch.members.has('u1'), false, 'a connection that left the room gets no more frames')
  assert.deepEqual([...watch.violations, ...other.watch.violations], [])
})

test('across nodes: every watcher sees the whole room, members on every node, with each node’s connections', async (t) => {
  const nodes = await cluster3(t)
  const [a, b, c] = nodes as [Node, Node, Node]
  await member(a, 'lobby', 'ada', { on: 'a' })
  await member(b, 'lobby', 'ada', { on: 'b' })
  await member(c, 'lobby', 'bob')
  const watchers = [await watcher(a, 'lobby', 'wa'), await watcher(b, 'lobby', 'wb'), await watcher(c, 'lobby', 'wc')]
  const all = ['ada', 'bob', 'wa', 'wb', 'wc']
  await eventually(() => watchers.every((w) => w.watch.keys().join() === all.join()), 3000, 'every watcher to see everyone')

  const answer = await b.app.server().presence('lobby')
  assert.equal(answer.complete, true)
  assert.deepEqual(keys(answer.value), all)
  const ada = answer.value.find((m) => m.userId === 'ada')!
  assert.deepEqual(ada.connections.map((x) => [x.nodeId, x.meta]).sort(), [[a.app.nodeId, { on: 'a' }], [b.app.nodeId, { on: 'b' }]].sort())

  // A user on two nodes leaves when the last node's tab closes.
  const cy = [await member(a, 'lobby', 'cy'), await member(c, 'lobby', 'cy')]
  await eventually(() => watchers.every((w) => w.watch.members.has('cy')), 3000)
  await cy[0]!.close()
  await eventually(() => a.app.server().roomSize('lobby') === 2, 3000, 'cy’s tab on a to be gone') // wa and ada remain on a
  assert.ok(watchers.every((w) => w.watch.members.has('cy')), 'cy is still there on c')
  await cy[1]!.close()
  await eventually(() => watchers.every((w) => !w.watch.members.has('cy')), 3000, 'cy to leave everywhere')
  for (const w of watchers) {
    assert.deepEqual(w.watch.violations, [])
    assert.equal(w.watch.joins.filter((j) => j.key === 'cy').length, 1, 'one join of cy')
    assert.equal(w.watch.leaves.filter((j) => j.key === 'cy').length, 1, 'one leave of cy')
  }
})

test('a node that closes, and a node that goes silent, leave every view; leaves reach watchers', async (t) => {
  const broker = new MemoryBroker()
  const a = await node(t, broker)
  const b = await node(t, broker)
  // c's bus goes deaf and mute on demand: to the others it is a killed process.
  let cut = false
  const c = await node(t, broker, { bus: (bus) => wrapBus(interceptIncoming(bus, () => !cut), { publish: (channel, payload) => (cut ? true : bus.publish(channel, payload)) }) })
  await eventually(() => [a, b, c].every((n) => n.cluster!.nodes().length === 2), 3000)
  const { watch } = await watcher(a, 'lobby', 'wa')
  await member(b, 'lobby', 'bob')
  await member(c, 'lobby', 'cy')
  await eventually(() => watch.keys().join() === 'bob,cy,wa', 3000, 'everyone')

  cut = true
  const cutAt = Date.now()
  await eventually(() => !watch.members.has('cy'), 3000, 'the silent node’s member to leave')
  const leftAfter = Date.now() - cutAt
  assert.ok(leftAfter >= fast.nodeTimeoutMs! - 50, `not before the node timeout (${leftAfter} ms)`)
  assert.deepEqual(keys((await a.app.server().presence('lobby', { timeoutMs: 200 })).value), ['bob', 'wa'])

  await b.app.close()
  await eventually(() => !watch.members.has('bob'), 3000, 'the closed node’s member to leave')
  assert.deepEqual(watch.violations, [])
})

test('a node restarted under the same id: its old connections leave, its new ones join', async (t) => {
  const broker = new MemoryBroker()
  const a = await node(t, broker)
  const first = await node(t, broker, { nodeId: 'phoenix' })
  await eventually(() => a.cluster!.nodes().length === 1)
  const { watch } = await watcher(a, 'lobby', 'wa')
  await member(first, 'lobby', 'old')
  await eventually(() => watch.members.has('old'), 3000)
  // The process dies without a goodbye and comes back at once, before the others notice the silence.
  await first.cluster!.bus.close()
  const second = await node(t, broker, { nodeId: 'phoenix' })
  await member(second, 'lobby', 'new')
  await eventually(() => watch.keys().join() === 'new,wa', 3000, 'the old connection to leave and the new one to join')
  assert.deepEqual(watch.violations, [])
})

test('a lost diff is noticed at the next one and repaired', async (t) => {
  const broker = new MemoryBroker()
  let dropNextDiff = false
  const a = await node(t, broker, {
    bus: (bus) =>
      interceptIncoming(bus, (_channel, payload) => {
        if (!dropNextDiff || !Buffer.from(payload).includes('"t":"pd"')) return true
        dropNextDiff = false
        return false
      }),
  })
  const b = await node(t, broker)
  await eventually(() => a.cluster!.nodes().length === 1)
  const { watch } = await watcher(a, 'lobby', 'wa')
  dropNextDiff = true
  await member(b, 'lobby', 'lost')
  await eventually(() => !dropNextDiff, 2000, 'the diff to be dropped')
  assert.equal(watch.members.has('lost'), false)
  await member(b, 'lobby', 'next')
  await eventually(() => watch.keys().join() === 'lost,next,wa', 3000, 'the gap to be repaired')
  assert.deepEqual(watch.violations, [])
})

test('a broker outage with joins and leaves in it: presence is rebuilt when it is back, without restarting a node', async (t) => {
  const broker = new MemoryBroker()
  const nodes = await cluster3(t, broker)
  const [a, b, c] = nodes as [Node, Node, Node]
  const watchers = [await watcher(a, 'lobby', 'wa'), await watcher(c, 'lobby', 'wc')]
  const stays = await member(b, 'lobby', 'stays')
  const goes = await member(b, 'lobby', 'goes')
  await eventually(() => watchers.every((w) => w.watch.keys().join() === 'goes,stays,wa,wc'), 3000)

  broker.stop()
  await eventually(() => nodes.every((n) => n.cluster!.state === 'reconnecting'), 2000)
  await goes.close()
  await member(b, 'lobby', 'came')
  await member(a, 'lobby', 'also')
  broker.start()
  const expected = 'also,came,stays,wa,wc'
  await eventually(() => watchers.every((w) => w.watch.keys().join() === expected), 5000, 'the watchers to converge')
  for (const n of nodes) assert.deepEqual(keys((await n.app.server().presence('lobby')).value).join(), expected)
  for (const w of watchers) assert.deepEqual(w.watch.violations, [])
  assert.ok(stays)
})
