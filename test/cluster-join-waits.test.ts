import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { clusterAdapter, defineGateway, silentLogger, type ClusterAdapter, type ClusterBus } from '../src/index.js'
import { MemoryBroker } from '../src/testing/index.js'
import { eventually, sleep, startGateway } from './helpers/start-gateway.js'
import { wrapBus } from './helpers/wrapped-bus.js'

// Regression (found with the cluster F6 case): a join resolves only once traffic for the room
// reaches this node — for every member, not only the room's first one. When a node dies, its
// clients re-join on a survivor all at once; the first re-join starts the room's subscription,
// and the others used to get their join reply at once, before it existed, so broadcasts from
// other nodes were silently missed by clients that believed they were back in the room.
// The same held for a user's second connection while the user's subscription was pending.

const SUBSCRIBE_DELAY_MS = 200

/** What the join handler saw: how many joins entered it, and whether the subscription gate was open when each was answered. */
const joins = { entered: 0, answeredAfterGate: [] as boolean[], gateOpen: false }

const chat = defineGateway({
  path: '/ws',
  connectionGuards: [(h) => h.query.get('user') ?? true],
})
  .onConnect(() => {}) // with a hook, a connection's frames wait for its registration (its user's subscription)
  .subscribe('join', async (room: string, client) => {
    joins.entered++
    await client.join(room)
    joins.answeredAfterGate.push(joins.gateOpen)
    return room
  })
  .subscribe('ping', () => 'pong')

/** A bus whose subscriptions take effect only after a broker round trip of SUBSCRIBE_DELAY_MS, like a remote broker's. */
function slowSubscribe(inner: ClusterBus): ClusterBus {
  return wrapBus(inner, { subscribe: (channel) => sleep(SUBSCRIBE_DELAY_MS).then(() => inner.subscribe(channel)) })
}

/** A bus whose room subscriptions wait until the test opens the gate (the node's own channels go through). */
function gatedRooms(inner: ClusterBus, gate: Promise<void>, pending: string[]): ClusterBus {
  return wrapBus(inner, {
    subscribe: (channel) => {
      if (!channel.includes('.room.')) return inner.subscribe(channel)
      pending.push(channel)
      return gate.then(() => inner.subscribe(channel))
    },
  })
}

async function twoNodes(t: TestContext, wrap: (bus: ClusterBus) => ClusterBus) {
  const broker = new MemoryBroker()
  const start = async (bus: ClusterBus) => {
    const cluster: ClusterAdapter = clusterAdapter(bus, { logger: silentLogger })
    const node = await startGateway(t, { gateways: [chat], adapter: cluster })
    await cluster.ready()
    return Object.assign(node, { cluster })
  }
  const slow = await start(wrap(broker.createBus()))
  const other = await start(broker.createBus())
  await eventually(() => slow.cluster.nodes().length === 1 && other.cluster.nodes().length === 1, 3000, 'the nodes to know each other')
  return { slow, other }
}

test("a room's second member, joining while its subscription is pending, gets broadcasts from other nodes once its join is answered", async (t) => {
  let openGate!: () => void
  const gate = new Promise<void>((resolve) => (openGate = resolve))
  const roomSubscriptions: string[] = []
  Object.assign(joins, { entered: 0, answeredAfterGate: [], gateOpen: false })
  const { slow, other } = await twoNodes(t, (bus) => gatedRooms(bus, gate, roomSubscriptions))
  const first = await slow.connect()
  const second = await slow.connect()
  const firstJoined = first.request('join', 'r')
  await eventually(() => roomSubscriptions.length === 1, 5000, 'the first join started the subscription')
  const secondJoined = second.request('join', 'r')
  await eventually(() => joins.entered === 2, 5000, 'the second join reached its handler')
  assert.deepEqual([first.frames, second.frames], [[], []], 'neither join is answered while the subscription is pending')
  joins.gateOpen = true
  openGate()
  assert.equal((await secondJoined).data, 'r')
  assert.deepEqual(joins.answeredAfterGate, [true, true], 'both joins were answered only once the subscription existed')
  assert.equal(roomSubscriptions.length, 1, 'one subscription for the room, shared by both members')
  other.app.server().to('r').emit('msg', 1)
  assert.deepEqual((await second.nextEvent('msg', 2000)).data, 1, 'the second member got the broadcast sent right after its join reply')
  await firstJoined
  assert.deepEqual((await first.nextEvent('msg', 2000)).data, 1)
})

test("a user's second connection, opened while the user's subscription is pending, gets pushes to the user once it is served", async (t) => {
  const { slow, other } = await twoNodes(t, slowSubscribe)
  const first = await slow.connect('/ws?user=ada')
  const second = await slow.connect('/ws?user=ada')
  // A reply means onConnect ran, which waits for the registration (the user's subscription included).
  assert.equal((await second.request('ping')).data, 'pong')
  other.app.server().toUser('ada').emit('you', 2)
  assert.deepEqual((await second.nextEvent('you', 2000)).data, 2)
  assert.deepEqual((await first.nextEvent('you', 2000)).data, 2)
})
