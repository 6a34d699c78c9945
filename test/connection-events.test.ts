import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { createMicroservice, defineGateway, nodeOfConnection, type Client, type ConnectionEvent } from '../src/index.js'
import { brokerSkipReason, brokerUrls } from '../src/testing/index.js'
import { startGatewayNode } from './helpers/bridge-processes.js'
import { cleanUpBroker, createTestTransport, transportsFor, type TransportSpec } from './helpers/bridge-transports.js'
import { eventually, startGateway } from './helpers/start-gateway.js'
import { TestSocket } from './helpers/test-socket.js'

// Connection lifecycle events for services: published by gateways that ask for them, over the
// app's transport, consumed by `createMicroservice(...).onConnectionEvent(...)`.

const KINDS: Array<{ kind: TransportSpec['kind']; broker?: 'amqp' | 'nats' | 'redis' }> = [
  { kind: 'in-process' },
  { kind: 'amqp', broker: 'amqp' },
  { kind: 'nats', broker: 'nats' },
  { kind: 'redis', broker: 'redis' },
]
let runs = 0

const transports = (t: TestContext, kind: TransportSpec['kind']) => transportsFor(t, kind, `ce${process.pid}x${runs++}`)

for (const { kind, broker } of KINDS) {
  test(`${kind}: connected, joined, left, and one disconnected with its close code and reason; a gateway that did not ask publishes nothing`, { skip: broker && (await brokerSkipReason(broker)), timeout: 30_000 }, async (t) => {
    const create = transports(t, kind)
    const events: ConnectionEvent[] = []
    const service = createMicroservice({ transport: create() }).onConnectionEvent((event) => void events.push(event))
    await service.listen()
    t.after(() => service.close())
    const rooms = (path: string, connectionEvents: boolean) =>
      defineGateway({ path, connectionEvents, connectionGuards: [() => ({ id: 'ada' })] })
        .subscribe('join', (room: string, client: Client) => client.join(room).then(() => room))
        .subscribe('leave', (room: string, client: Client) => client.leave(room).then(() => room))
    const gw = await startGateway(t, { gateways: [rooms('/ws', true), rooms('/quiet', false)], transport: create(), userId: (user) => (user as { id: string }).id })
    await gw.app.ready()

    const quiet = await gw.connect('/quiet')
    await quiet.request('join', 'r1')
    await quiet.close(4000)
    const socket = await gw.connect('/ws')
    await socket.request('join', 'r1')
    await socket.request('join', 'r1') // already a member: no second event
    await socket.request('leave', 'r1')
    socket.ws.close(4001, 'bye')
    await eventually(() => events.some((e) => e.type === 'disconnected'), 10_000, 'the disconnected event')

    assert.deepEqual(
      events.map((e) => e.type),
      ['connected', 'joined', 'left', 'disconnected'],
      'in order, and nothing from the gateway that did not ask',
    )
    type Of<T extends ConnectionEvent['type']> = Extract<ConnectionEvent, { type: T }>
    const [connected, joined, , disconnected] = events as [Of<'connected'>, Extract<ConnectionEvent, { room: string }>, unknown, Of<'disconnected'>]
    assert.equal(connected.namespace, '/')
    assert.equal(connected.path, '/ws')
    assert.equal(connected.userId, 'ada')
    assert.equal(connected.nodeId, gw.app.nodeId)
    assert.equal(nodeOfConnection(connected.connectionId), gw.app.nodeId)
    assert.equal(joined.room, 'r1')
    assert.equal(disconnected.connectionId, connected.connectionId)
    assert.deepEqual([disconnected.code, disconnected.reason], [4001, 'bye'])
  })
}

test('redis: exactly one disconnected per connection, and a SIGKILLed node reported once by one survivor (nodeLost) within nodeTimeoutMs + heartbeatIntervalMs', { skip: await brokerSkipReason('redis'), timeout: 60_000 }, async (t) => {
  const spec: TransportSpec = { kind: 'redis', url: brokerUrls.redis, prefix: `cek${process.pid}` }
  t.after(() => cleanUpBroker(spec))
  const events: ConnectionEvent[] = []
  const transport = createTestTransport(spec)
  t.after(() => transport.close())
  const service = createMicroservice({ transport }).onConnectionEvent((event) => void events.push(event))
  await service.listen()

  const env = { GANGWAY_TEST_CLUSTER: brokerUrls.redis }
  const nodes = await Promise.all([0, 1, 2].map(() => startGatewayNode(t, spec, './connection-events-node.js', env)))
  const sockets = new Map<string, TestSocket[]>()
  for (const node of nodes) {
    const own: TestSocket[] = []
    for (let i = 0; i < 3; i++) {
      const socket = await TestSocket.connect(`ws://127.0.0.1:${node.port}/ws`)
      t.after(() => void socket.ws.terminate())
      await socket.request('join', `room-${i}`)
      own.push(socket)
    }
    sockets.set(node.nodeId, own)
  }
  await eventually(() => events.filter((e) => e.type === 'connected').length === 9, 10_000, 'nine connected events')
  const connections = events.filter((e): e is ConnectionEvent & { type: 'connected' } => e.type === 'connected').map((e) => e.connectionId)

  const [victim, ...survivors] = nodes
  const killedAt = Date.now()
  victim!.child.kill('SIGKILL')
  await eventually(() => events.some((e) => e.type === 'nodeLost'), 10_000, 'the nodeLost event')
  const reportedMs = Date.now() - killedAt
  // The bound: silent for nodeTimeoutMs (1000), noticed at a heartbeat (every 200), then published.
  t.diagnostic(`nodeLost published ${reportedMs} ms after the SIGKILL`)
  assert.ok(reportedMs < 1000 + 200 + 1500, `reported within the bound (${reportedMs} ms)`)

  for (const survivor of survivors) for (const socket of sockets.get(survivor.nodeId)!) await socket.close(1000)
  await eventually(() => events.filter((e) => e.type === 'disconnected').length === 6, 10_000, "the survivors' six disconnects")
  // Past the moment the second survivor noticed the loss too: it must not have reported it.
  await eventually(() => Date.now() - killedAt > 1000 + 2 * 200 + 500, 5000)

  const lost = events.filter((e): e is ConnectionEvent & { type: 'nodeLost' } => e.type === 'nodeLost')
  assert.equal(lost.length, 1, 'one report of the lost node')
  assert.equal(lost[0]!.nodeId, victim!.nodeId)
  assert.ok(survivors.some((s) => s.nodeId === lost[0]!.reportedBy))
  for (const id of connections) {
    const disconnects = events.filter((e) => e.type === 'disconnected' && e.connectionId === id).length
    const coveredByLoss = lost.filter((e) => e.nodeId === nodeOfConnection(id)).length
    assert.equal(disconnects + coveredByLoss, 1, `exactly one end for ${id}`)
  }
})
