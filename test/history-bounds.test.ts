import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemoryHistoryStore, type HistoryReadRequest, type HistoryStore, type RoomHistoryConfig } from '../src/index.js'
import { eventually, startGateway } from './helpers/start-gateway.js'
import { historyGateway, publish, range } from './helpers/history-gateway.js'
import type { TestSocket } from './helpers/test-socket.js'

// The bounds of recovery: replays a node runs at once, the queue behind them, and what happens
// when the store cannot be reached. Raw sockets, so many clients stay cheap.

/** The memory store, with its reads counted and, while `hold` is set, held until released. */
class CountingStore extends MemoryHistoryStore {
  reading = 0
  maxReading = 0
  reads = 0
  hold: Promise<void> | undefined
  override async read(namespace: string, room: string, request: HistoryReadRequest, config: RoomHistoryConfig) {
    this.reading++
    this.reads++
    this.maxReading = Math.max(this.maxReading, this.reading)
    try {
      await this.hold
      return await super.read(namespace, room, request, config)
    } finally {
      this.reading--
    }
  }
}

function resume(socket: TestSocket, room: string, offset: number, epoch: string, id: number): void {
  socket.sendRaw(JSON.stringify({ event: 'join', data: { room }, id, since: { [room]: { offset, epoch } } }))
}

test('a reconnect storm: replays run at most maxConcurrentReplays at once, the rest wait, and every client gets exactly its gap', async (t) => {
  const store = new CountingStore()
  const gw = await startGateway(t, { gateways: [historyGateway], history: { rooms: [{ match: 'chat:*' }], store, maxConcurrentReplays: 4 } })
  publish(gw.app, 'chat:storm', 1, 50)
  const { epoch } = await gw.app.server().history('chat:storm', { limit: 1 })
  const sockets = await Promise.all(Array.from({ length: 60 }, () => gw.connect()))
  // Each client missed a different stretch.
  sockets.forEach((socket, i) => resume(socket, 'chat:storm', i % 50, epoch, 1))
  await Promise.all(sockets.map((socket) => socket.next((f) => f.id === 1)))
  assert.ok(store.maxReading <= 4, `at most 4 reads at once, saw ${store.maxReading}`)
  publish(gw.app, 'chat:storm', 51, 51)
  for (const [i, socket] of sockets.entries()) {
    const recovery = await socket.nextEvent('$recovery')
    assert.deepEqual(recovery.data, { room: 'chat:storm', recovered: true, epoch, offset: 50, replayed: 50 - (i % 50) })
    const got: number[] = []
    while (got.at(-1) !== 51) got.push(((await socket.nextEvent('msg')).data as { n: number }).n)
    assert.deepEqual(got, range((i % 50) + 1, 51))
  }
  assert.equal(gw.app.historyStats()?.replayed, sockets.reduce((sum, _, i) => sum + 50 - (i % 50), 0))
})

test('beyond maxQueuedReplays a join is answered too-many-replays at once, and live messages still flow to it', async (t) => {
  const store = new CountingStore()
  let release = () => {}
  store.hold = new Promise((resolve) => (release = resolve))
  const gw = await startGateway(t, { gateways: [historyGateway], history: { rooms: [{ match: 'chat:*' }], store, maxConcurrentReplays: 2, maxQueuedReplays: 3 } })
  const sockets = await Promise.all(Array.from({ length: 8 }, () => gw.connect()))
  // One room each: joins of one room at the same time would share a read.
  const roomOf = (socket: TestSocket) => `chat:q${sockets.indexOf(socket)}`
  for (const socket of sockets) socket.sendRaw(JSON.stringify({ event: 'join', data: { room: roomOf(socket) }, id: 1 }))
  await eventually(() => store.reading === 2, 2000, 'two replays reading')
  const answered = () => sockets.filter((socket) => socket.frames.some((f) => f.event === '$recovery'))
  await eventually(() => answered().length === 3, 2000, 'three joins refused')
  const refused = answered()
  for (const socket of refused) {
    assert.deepEqual((await socket.nextEvent('$recovery')).data, { room: roomOf(socket), recovered: false, reason: 'too-many-replays', replayed: 0 })
  }
  for (const socket of sockets) publish(gw.app, roomOf(socket), 1, 1)
  for (const socket of refused) assert.equal((await socket.nextEvent('msg')).offset, 1, 'live messages reach a refused join')
  release()
  const waited = sockets.filter((socket) => !refused.includes(socket))
  for (const socket of waited) {
    // The join's point in the stream is where its read found it: message 1 was before it.
    assert.deepEqual((await socket.nextEvent('$recovery')).data.offset, 1)
  }
  for (const socket of sockets) publish(gw.app, roomOf(socket), 2, 2)
  for (const socket of sockets) assert.equal((await socket.nextEvent('msg')).offset, 2)
  assert.ok(await waited[0]!.quiet(50, (f) => f.offset === 1), 'held frames at or below the join point are dropped')
})

test('joins of one room with the same since share one store read, and each gets exactly its gap', async (t) => {
  const store = new CountingStore()
  const gw = await startGateway(t, { gateways: [historyGateway], history: { rooms: [{ match: 'chat:*' }], store } })
  publish(gw.app, 'chat:same', 1, 20)
  const { epoch } = await gw.app.server().history('chat:same', { limit: 1 })
  store.reads = 0
  let release = () => {}
  store.hold = new Promise((resolve) => (release = resolve))
  const sockets = await Promise.all(Array.from({ length: 30 }, () => gw.connect()))
  const early = sockets.slice(0, 20)
  early.forEach((socket) => resume(socket, 'chat:same', 10, epoch, 1))
  await eventually(() => store.reading === 1, 2000, 'the first batch reading')
  // Published after that read began: the later joins get their own read, with it.
  publish(gw.app, 'chat:same', 21, 21)
  const late = sockets.slice(20)
  late.forEach((socket) => resume(socket, 'chat:same', 10, epoch, 1))
  release()
  await Promise.all(sockets.map((socket) => socket.next((f) => f.id === 1)))
  assert.ok(store.reads <= 1 + late.length && store.reads < sockets.length / 2, `far fewer reads than joins, saw ${store.reads}`)
  publish(gw.app, 'chat:same', 22, 22)
  for (const socket of sockets) {
    assert.equal((await socket.nextEvent('$recovery')).data.recovered, true)
    const got: number[] = []
    while (got.at(-1) !== 22) got.push(((await socket.nextEvent('msg')).data as { n: number }).n)
    assert.deepEqual(got, range(11, 22), 'no gap, no duplicate')
  }
})

test('more live messages than maxHeldLive during a replay close the connection with 1013; it resumes later', async (t) => {
  const store = new CountingStore()
  let release = () => {}
  store.hold = new Promise((resolve) => (release = resolve))
  const gw = await startGateway(t, { gateways: [historyGateway], history: { rooms: [{ match: 'chat:*' }], store, maxHeldLive: 2 } })
  const socket = await gw.connect()
  socket.sendRaw(JSON.stringify({ event: 'join', data: { room: 'chat:h' }, id: 1 }))
  await eventually(() => store.reading === 1, 2000, 'the read')
  publish(gw.app, 'chat:h', 1, 3)
  assert.equal((await socket.closed).code, 1013)
  release()
  assert.equal(gw.app.historyStats()?.heldOverflow, 1)
})

test('an unreachable store: joins say store-unavailable; a publish it cannot take is not sent, and members hear recovered: false before the next message (a new epoch)', async (t) => {
  const inner = new MemoryHistoryStore()
  let down = false
  let resets = 0
  const store: HistoryStore = {
    name: 'flaky',
    start: (events) => inner.start(events),
    subscribe: (ns, room) => inner.subscribe(ns, room),
    unsubscribe: (ns, room) => inner.unsubscribe(ns, room),
    append: (ns, room, message, config) => (down ? Promise.reject(new Error('down')) : inner.append(ns, room, message, config)),
    read: (ns, room, request, config) => (down ? Promise.reject(new Error('down')) : inner.read(ns, room, request, config)),
    resetEpoch: (ns, room) => (resets++, inner.resetEpoch(ns, room)),
    close: () => inner.close(),
  }
  const gw = await startGateway(t, { gateways: [historyGateway], history: { rooms: [{ match: 'chat:*' }], store } })
  const a = await gw.connect()
  assert.equal((await a.request('join', { room: 'chat:f' })).id, 1)
  const first = await a.nextEvent('$recovery')
  publish(gw.app, 'chat:f', 1, 1)
  assert.deepEqual(await a.nextEvent('msg'), { event: 'msg', data: { n: 1 }, room: 'chat:f', offset: 1, epoch: first.data.epoch })
  down = true
  publish(gw.app, 'chat:f', 2, 2)
  await eventually(() => gw.app.historyStats()?.unsaved === 1, 5000, 'the unsaved publish counted')
  assert.equal(resets, 1)
  const b = await gw.connect()
  resume(b, 'chat:f', 1, first.data.epoch, 1)
  assert.deepEqual((await b.nextEvent('$recovery')).data, { room: 'chat:f', recovered: false, reason: 'store-unavailable', replayed: 0 })
  down = false
  const c = await gw.connect()
  resume(c, 'chat:f', 1, first.data.epoch, 1)
  assert.equal((await c.nextEvent('$recovery')).data.reason, 'epoch-changed', 'nobody resumes across the unsaved message')
  // The member that stayed: told before the next message that the stream broke, then the message in the new epoch.
  publish(gw.app, 'chat:f', 3, 3)
  const report = await a.nextEvent('$recovery')
  assert.deepEqual({ ...report.data, epoch: 'new' }, { room: 'chat:f', recovered: false, reason: 'epoch-changed', epoch: 'new', offset: 0, replayed: 0 })
  assert.notEqual(report.data.epoch, first.data.epoch)
  assert.deepEqual(await a.nextEvent('msg'), { event: 'msg', data: { n: 3 }, room: 'chat:f', offset: 1, epoch: report.data.epoch })
  assert.deepEqual(a.frames.filter((f) => f.event === 'msg' && f.data?.n === 2), [], 'the unsaved message was never sent')
})
