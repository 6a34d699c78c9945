import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { createGateway, silentLogger, type ClusterAdapter, type GatewayApp, type HistoryOptions } from '../src/index.js'
import { natsCluster } from '../src/nats/index.js'
import { redisCluster } from '../src/redis/index.js'
import { connect } from '@nats-io/transport-node'
import { jetstreamManager } from '@nats-io/jetstream'
import { NATS_URL, REDIS_URL, requireBroker } from './helpers/cluster-brokers.js'
import { eventually } from './helpers/start-gateway.js'
import { historyGateway, publish, range, recordingClient } from './helpers/history-gateway.js'

// History across two nodes on the shared Redis and NATS: a client resumes on the other node with
// exactly what it missed, whoever published it; offsets are the same on every node.

const brokers = {
  redis: { name: 'Redis' as const, url: REDIS_URL, cluster: (prefix: string) => redisCluster(REDIS_URL, { channelPrefix: prefix, logger: silentLogger }) },
  nats: { name: 'NATS' as const, url: NATS_URL, cluster: (prefix: string) => natsCluster(NATS_URL, { channelPrefix: prefix, logger: silentLogger }) },
}

const history: HistoryOptions = { rooms: [{ match: 'chat:*', size: 100 }, { match: 'small:*', size: 5 }, { match: 'race:*', size: 1000 }] }

async function twoNodes(t: TestContext, kind: keyof typeof brokers, prefix = `hist${randomBytes(4).toString('hex')}`) {
  const nodes: Array<Awaited<ReturnType<typeof startNode>>> = []
  for (const nodeId of ['n1', 'n2']) nodes.push(await startNode(t, kind, prefix, nodeId))
  // After hooks run in the order registered: this one after the nodes closed, so nothing creates them again.
  t.after(() => (kind === 'redis' ? dropRedisKeys(prefix) : dropStream(`${prefix}_history`)))
  await eventually(() => nodes.every((node) => node.cluster.nodes().length === 1), 5000, 'the nodes to see each other')
  return { prefix, nodes: nodes as [(typeof nodes)[0], (typeof nodes)[0]] }
}

/** One gateway node on the broker, closed when the test ends. */
async function startNode(t: TestContext, kind: keyof typeof brokers, prefix: string, nodeId: string): Promise<{ app: GatewayApp; cluster: ClusterAdapter; url: string }> {
  const cluster = brokers[kind].cluster(prefix)
  const app = createGateway({ logger: silentLogger, nodeId, gateways: [historyGateway], adapter: cluster, history })
  const { port } = await app.listen(0, '127.0.0.1')
  t.after(() => app.close({ timeoutMs: 500 }))
  await cluster.ready()
  return { app, cluster, url: `ws://127.0.0.1:${port}/ws` }
}

for (const kind of ['redis', 'nats'] as const) {
  test(`${kind}: a client resumes on the other node with exactly what it missed, then live messages from both`, async (t) => {
    if (!(await requireBroker(t, brokers[kind].name, brokers[kind].url))) return
    const { nodes } = await twoNodes(t, kind)
    const [one, two] = nodes
    let target = one.url
    const alice = recordingClient(t, () => target)
    await alice.client.join('chat:a')
    assert.equal(alice.recoveries[0]?.recovered, true)
    publish(two.app, 'chat:a', 1, 3)
    await eventually(() => alice.received.length === 3, 3000, 'messages published on the other node')
    const first = alice.client.position('chat:a')!

    await alice.drop(one.app)
    publish(two.app, 'chat:a', 4, 6)
    publish(one.app, 'chat:a', 7, 8)
    await waitForCount(two.app, 'chat:a', 8)
    target = two.url
    alice.resume()
    await eventually(() => alice.recoveries.length === 2, 5000, 'the resume on the other node')
    assert.deepEqual(alice.recoveries[1], { room: 'chat:a', recovered: true, replayed: 5 })
    await eventually(() => alice.received.length === 8, 3000, 'the replay')
    publish(one.app, 'chat:a', 9, 10)
    await eventually(() => alice.received.length === 10, 3000, 'live messages after the replay')
    assert.deepEqual(alice.received.slice(0, 3), [1, 2, 3])
    assert.deepEqual(new Set(alice.received.slice(3, 8)), new Set(range(4, 8)), 'the missed ones, once each')
    assert.deepEqual(alice.received.slice(8), [9, 10])
    const last = alice.client.position('chat:a')!
    assert.equal(last.epoch, first.epoch, 'one epoch across nodes')

    const page = await one.app.server().history('chat:a', { limit: 100 })
    const other = await two.app.server().history('chat:a', { limit: 100 })
    assert.deepEqual(page.messages, other.messages, 'both nodes read the same history')
    assert.deepEqual(page.messages.map((m) => (m.data as { n: number }).n).sort((a, b) => a - b), range(1, 10))
    assert.equal(page.offset, last.offset)
  })

  test(`${kind}: behind more than the room keeps → recovered: false, too-far-behind; last N on a first join`, async (t) => {
    if (!(await requireBroker(t, brokers[kind].name, brokers[kind].url))) return
    const { nodes } = await twoNodes(t, kind)
    const [one, two] = nodes
    let target = one.url
    const bob = recordingClient(t, () => target)
    await bob.client.join('small:b')
    publish(two.app, 'small:b', 1, 2)
    await eventually(() => bob.received.length === 2, 3000, 'the first messages')
    await bob.drop(one.app)
    publish(two.app, 'small:b', 3, 20)
    await waitForCount(two.app, 'small:b', 5)
    await waitForLast(two.app, 'small:b', 20)
    target = two.url
    bob.resume()
    await eventually(() => bob.recoveries.length === 2, 5000, 'the resume')
    assert.deepEqual(bob.recoveries[1], { room: 'small:b', recovered: false, reason: 'too-far-behind', replayed: 0 })

    const carol = recordingClient(t, () => one.url)
    await carol.client.join('small:b', { last: 3 })
    await eventually(() => carol.received.length === 3, 3000, 'the last 3')
    assert.deepEqual(carol.received, [18, 19, 20])
  })
}

for (const kind of ['redis', 'nats'] as const) {
  test(`${kind}: messages published on both nodes while a client resumes reach it once each, in the same order as everyone else`, async (t) => {
    if (!(await requireBroker(t, brokers[kind].name, brokers[kind].url))) return
    const { nodes } = await twoNodes(t, kind)
    const [one, two] = nodes
    let target = one.url
    const mover = recordingClient(t, () => target)
    const stayer = recordingClient(t, () => two.url)
    await Promise.all([mover.client.join('race:r'), stayer.client.join('race:r')])
    publish(one.app, 'race:r', 1, 5)
    await eventually(() => mover.received.length === 5 && stayer.received.length === 5, 3000, 'the first messages')
    await mover.drop(one.app)
    let n = 5
    let publishing = true
    const pump = () => {
      if (!publishing || n >= 300) return
      n++
      publish(n % 2 === 0 ? one.app : two.app, 'race:r', n, n)
      setImmediate(pump)
    }
    pump()
    target = two.url
    mover.resume()
    await eventually(() => mover.recoveries.length === 2, 5000, 'the resume')
    await eventually(() => n >= 300, 5000, 'the publishing')
    publishing = false
    await eventually(() => stayer.received.length === n && mover.received.length === n, 5000, 'every message on both clients')
    assert.equal(mover.recoveries[1]!.recovered, true)
    assert.deepEqual(mover.received, stayer.received, 'the resumed client saw what the one that stayed saw, in the same order')
    assert.deepEqual([...mover.received].sort((a, b) => a - b), range(1, n), 'each once')
  })
}

test('redis: history a join turned on is known to every node, also to one that starts later', async (t) => {
  if (!(await requireBroker(t, 'Redis', REDIS_URL))) return
  const { prefix, nodes } = await twoNodes(t, 'redis')
  const [one, two] = nodes
  let target = one.url
  const fay = recordingClient(t, () => target)
  await fay.client.join('adhoc:1')
  assert.equal(fay.recoveries[0]?.recovered, true, 'the join turned history on')
  await until(async () => (await two.app.server().history('adhoc:1').then(() => true, () => false)), 'the other node to know the room has history')
  publish(two.app, 'adhoc:1', 1, 3)
  await eventually(() => fay.received.length === 3, 3000, 'messages from the other node')
  assert.equal(fay.client.position('adhoc:1')?.offset, 3, 'stored: they carry offsets')
  const three = await startNode(t, 'redis', prefix, 'n3')
  await until(async () => (await three.app.server().history('adhoc:1').then(() => true, () => false)), 'a later node to learn it')
  await fay.drop(one.app)
  publish(three.app, 'adhoc:1', 4, 6)
  await waitForCount(two.app, 'adhoc:1', 6)
  target = two.url
  fay.resume()
  await eventually(() => fay.received.length === 6, 5000, 'the replay')
  assert.deepEqual(fay.recoveries[1], { room: 'adhoc:1', recovered: true, replayed: 3 })
  assert.deepEqual(fay.received, range(1, 6))
})

const wipes = {
  redis: { what: 'a room whose keys are gone (FLUSHALL, eviction)', wipe: dropRedisKeys },
  nats: { what: 'a stream deleted and created again', wipe: (prefix: string) => dropStream(`${prefix}_history`) },
}

for (const kind of ['redis', 'nats'] as const) {
  test(`${kind}: ${wipes[kind].what} is a new epoch: the resume says epoch-changed`, async (t) => {
    if (!(await requireBroker(t, brokers[kind].name, brokers[kind].url))) return
    const { prefix, nodes } = await twoNodes(t, kind)
    const [one, two] = nodes
    let target = one.url
    const dave = recordingClient(t, () => target)
    await dave.client.join('chat:d')
    publish(two.app, 'chat:d', 1, 3)
    await eventually(() => dave.received.length === 3, 3000, 'the first messages')
    const before = dave.client.position('chat:d')!
    await dave.drop(one.app)
    await wipes[kind].wipe(prefix)
    publish(two.app, 'chat:d', 4, 4)
    await waitForCount(two.app, 'chat:d', 1)
    target = two.url
    dave.resume()
    await eventually(() => dave.recoveries.length === 2, 5000, 'the resume')
    assert.deepEqual(dave.recoveries[1], { room: 'chat:d', recovered: false, reason: 'epoch-changed', replayed: 0 })
    assert.notEqual(dave.client.position('chat:d')!.epoch, before.epoch)
  })
}

async function dropRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL)
  try {
    const keys = await redis.keys(`${prefix}.history.*`)
    if (keys.length > 0) await redis.del(...keys)
  } finally {
    redis.disconnect()
  }
}

async function dropStream(name: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL })
  try {
    const jsm = await jetstreamManager(nc)
    await jsm.streams.delete(name).catch(() => false)
  } finally {
    await nc.close()
  }
}

/** Until the room's history (read through `app`) holds `count` messages. */
async function waitForCount(app: GatewayApp, room: string, count: number): Promise<void> {
  await until(async () => (await app.server().history(room)).messages.length >= count, `${count} messages in ${room}`)
}

/** Until the newest message of the room is `{ n }`. */
async function waitForLast(app: GatewayApp, room: string, n: number): Promise<void> {
  await until(async () => ((await app.server().history(room, { limit: 1 })).messages[0]?.data as { n: number } | undefined)?.n === n, `message ${n} in ${room}`)
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
