import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { clusterAdapter, defineGateway, GatewayError, healthReport, resolveClusterOptions, type ClusterAdapter, type ClusterOptions } from '../src/index.js'
import { MemoryBroker } from '../src/testing/index.js'
import { captureLogger } from './helpers/capture-logger.js'
import { eventually, sleep, startGateway, type StartedGateway } from './helpers/start-gateway.js'

// Cluster semantics in one process, over the in-memory broker: what the
// multi-process tests cannot easily provoke (a node that never answers, a
// frozen broker, a node closing mid-query).

const chat = defineGateway({ path: '/ws', connectionGuards: [(h) => h.query.get('user') ?? true] })
  .subscribe('join', async (room: string, client) => {
    await client.join(room)
    return room
  })
  .subscribe('id', (_: unknown, client) => client.id)

// Node expiry is not what these tests exercise: a timeout far above any stall of this process keeps nodes known.
const fast: ClusterOptions = { heartbeatIntervalMs: 100, nodeTimeoutMs: 2000, healthCheckIntervalMs: 100, healthCheckTimeoutMs: 200 }

async function node(t: TestContext, broker: MemoryBroker, options: ClusterOptions = {}): Promise<StartedGateway & { cluster: ClusterAdapter }> {
  const logger = captureLogger()
  const cluster = clusterAdapter(broker.createBus(), { ...fast, logger, ...options })
  const started = await startGateway(t, { gateways: [chat], adapter: cluster })
  await cluster.ready()
  return Object.assign(started, { cluster })
}

async function cluster3(t: TestContext, broker = new MemoryBroker()) {
  const nodes = [await node(t, broker), await node(t, broker), await node(t, broker)]
  await eventually(() => nodes.every((n) => n.cluster.nodes().length === 2), 3000, 'the nodes to know each other')
  return { broker, nodes }
}

test('three apps in one process form a cluster over the memory broker', async (t) => {
  const { nodes } = await cluster3(t)
  const sockets = await Promise.all(nodes.map((n) => n.connect('/ws?user=ada')))
  for (const socket of sockets) await socket.request('join', 'lobby')
  nodes[0]!.app.server().to('lobby').emit('hi', 1)
  for (const socket of sockets) assert.deepEqual((await socket.nextEvent('hi')).data, 1)
  nodes[1]!.app.server().toUser('ada').emit('you', 2)
  for (const socket of sockets) assert.deepEqual((await socket.nextEvent('you')).data, 2)
  const target = (await sockets[2]!.request('id')).data as string
  nodes[0]!.app.server().toConnection(target).emit('only', 3)
  assert.deepEqual((await sockets[2]!.nextEvent('only')).data, 3)
  assert.ok(await sockets[0]!.quiet(100, (f) => f.event === 'only'))
  assert.ok(await sockets[1]!.quiet(1, (f) => f.event === 'only'))
})

test('a query reports a node that does not answer in time as missing', async (t) => {
  const { broker, nodes } = await cluster3(t)
  const socket = await nodes[1]!.connect()
  await socket.request('join', 'room')
  broker.freeze() // nothing is delivered: no answers
  const started = Date.now()
  const answer = await nodes[0]!.app.server().fetchRoomSize('room', { timeoutMs: 150 })
  assert.ok(Date.now() - started >= 140)
  assert.equal(answer.complete, false)
  assert.deepEqual(answer.nodes, [nodes[0]!.app.nodeId])
  assert.deepEqual([...answer.missing].sort(), [nodes[1]!.app.nodeId, nodes[2]!.app.nodeId].sort())
  assert.equal(answer.value, 0)
  broker.thaw()
  const complete = await nodes[0]!.app.server().fetchRoomSize('room')
  assert.deepEqual({ value: complete.value, complete: complete.complete }, { value: 1, complete: true })
})

test('a node that closes stops being waited for', async (t) => {
  const { nodes } = await cluster3(t)
  await nodes[2]!.app.close()
  await eventually(() => nodes[0]!.cluster.nodes().length === 1, 2000, 'the goodbye')
  const answer = await nodes[0]!.app.server().fetchRoomMembers('x', { timeoutMs: 5000 })
  assert.equal(answer.complete, true)
  assert.equal(answer.nodes.length, 2)
})

test('while the broker is away: local delivery goes on, joins resolve, publishes are dropped and counted; all recovers', async (t) => {
  const { broker, nodes } = await cluster3(t)
  const [a, b] = [await nodes[0]!.connect(), await nodes[1]!.connect()]
  await a.request('join', 'r')
  await b.request('join', 'r')
  broker.stop()
  await eventually(() => nodes[0]!.cluster.state === 'reconnecting', 2000, 'the reconnecting state')
  const late = await nodes[0]!.connect()
  assert.equal((await late.request('join', 'later')).data, 'later', 'join resolves while the broker is away')
  nodes[0]!.app.server().to('r').emit('during', 1)
  assert.deepEqual((await a.nextEvent('during')).data, 1, 'the local member still gets it')
  assert.ok(await b.quiet(100, (f) => f.event === 'during'), 'the remote member does not (at-most-once)')
  assert.ok(nodes[0]!.cluster.stats().publishDropped >= 1)
  broker.start()
  await eventually(() => nodes.every((n) => n.cluster.state === 'connected'), 2000, 'connected again')
  const remote = await nodes[1]!.connect()
  await remote.request('join', 'later')
  nodes[1]!.app.server().to('later').emit('after', 2)
  assert.deepEqual((await late.nextEvent('after')).data, 2, 'a room joined during the outage is subscribed after it')
  assert.equal(nodes[0]!.cluster.stats().interruptions, 1)
})

test('the broker state reaches the app: health is degraded during an outage, ready after it', async (t) => {
  const { broker, nodes } = await cluster3(t)
  const app = nodes[0]!.app
  const component = `cluster:${nodes[0]!.cluster.bus.name}`
  assert.equal(app.brokers.get(component), 'connected')
  assert.equal(healthReport(app).status, 'ready')
  broker.stop()
  await eventually(() => app.brokers.get(component) === 'reconnecting', 2000, 'the app to see the outage')
  assert.deepEqual([healthReport(app).status, healthReport(app).ready], ['degraded', false])
  assert.equal(healthReport(app, { requireBrokers: false }).ready, true)
  broker.start()
  await eventually(() => app.brokers.get(component) === 'connected', 2000, 'the app to see the recovery')
  assert.equal(healthReport(app).status, 'ready')
})

test('a frozen broker is detected by the health ping and the bus reconnects', async (t) => {
  const { broker, nodes } = await cluster3(t)
  const states: string[] = []
  nodes[0]!.cluster.on('state', (state) => states.push(state))
  broker.freeze()
  await eventually(() => nodes[0]!.cluster.state === 'reconnecting', 2000, 'the health ping to fail')
  assert.ok(nodes[0]!.cluster.stats().healthCheckFailures >= 1)
  broker.thaw()
  await eventually(() => nodes[0]!.cluster.state === 'connected', 2000, 'the reconnect')
  assert.deepEqual(states.slice(0, 2), ['reconnecting', 'connected'])
})

test('unreadable messages on cluster channels are counted and dropped', async (t) => {
  const broker = new MemoryBroker()
  const { cluster, connect } = await node(t, broker)
  const socket = await connect()
  await socket.request('join', 'r')
  const intruder = broker.createBus()
  await intruder.start({ message() {}, state() {} })
  t.after(() => intruder.close())
  for (const payload of [Buffer.from('garbage'), Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([1, 2, 1, 0x78, 0x7b])]) {
    intruder.publish(cluster.channels.room('/', 'r'), payload)
  }
  await eventually(() => cluster.stats().malformed === 3, 1000, 'the malformed messages')
  assert.ok(await socket.quiet(50))
})

test('cluster options are validated and frozen', () => {
  const resolved = resolveClusterOptions({ channelPrefix: 'app.chat' })
  assert.ok(Object.isFrozen(resolved))
  assert.equal(resolved.heartbeatIntervalMs, 2000)
  for (const bad of [{ channelPrefix: 'a b' }, { channelPrefix: 'a.*' }, { heartbeatIntervalMs: 0 }, { nodeTimeoutMs: 1000, heartbeatIntervalMs: 2000 }, { subscribeTimeoutMs: 1.5 }]) {
    assert.throws(() => resolveClusterOptions(bad), (err: unknown) => err instanceof GatewayError && err.code === 'CONFIG_INVALID')
  }
})

test('one adapter serves one app', async (t) => {
  const broker = new MemoryBroker()
  const { cluster } = await node(t, broker)
  await assert.rejects(
    startGateway(t, { gateways: [chat], adapter: cluster }),
    (err: unknown) => err instanceof GatewayError && err.code === 'CONFIG_INVALID',
  )
  await sleep(1)
})
