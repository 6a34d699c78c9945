import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { LiveEntry } from '../contracts/history.js'
import { silentLogger } from '../logging/logger.js'
import { MemoryHistoryStore } from './memory-history-store.js'

const config = { size: 3, ttlMs: 1000 }
const message = (n: number) => ({ event: 'msg', data: JSON.stringify({ n }), exceptRooms: [], exceptConnections: ['c-1'] })

test('offsets are contiguous per room; a room keeps its newest `size` messages; reads after an offset know whether they are whole', async () => {
  const store = new MemoryHistoryStore()
  await store.start({ entry: () => {}, logger: silentLogger })
  for (let n = 1; n <= 5; n++) await store.append('/', 'a', message(n), config)
  await store.append('/', 'b', message(1), config)
  const last = await store.read('/', 'a', { last: 10, limit: 10 }, config)
  assert.deepEqual(last.entries.map((e) => e.offset), [3, 4, 5])
  assert.equal(last.top, 5)
  assert.deepEqual((await store.read('/', 'a', { after: 3, limit: 10 }, config)).entries.map((e) => e.offset), [4, 5])
  assert.equal((await store.read('/', 'a', { after: 3, limit: 10 }, config)).complete, true)
  assert.equal((await store.read('/', 'a', { after: 1, limit: 10 }, config)).complete, false, '2 was trimmed')
  assert.equal((await store.read('/', 'a', { after: 5, limit: 10 }, config)).complete, true, 'nothing missed')
  assert.deepEqual((await store.read('/', 'b', { last: 10, limit: 10 }, config)).entries.map((e) => e.offset), [1], 'rooms count apart')
  assert.notEqual((await store.read('/', 'b', { last: 0, limit: 0 }, config)).epoch, last.epoch, 'each room its own epoch')
})

test('messages expire after ttlMs; a reset starts a new epoch', async () => {
  let now = 0
  const store = new MemoryHistoryStore(() => now)
  await store.start({ entry: () => {}, logger: silentLogger })
  await store.append('/', 'a', message(1), config)
  now = 600
  await store.append('/', 'a', message(2), config)
  now = 1200
  const range = await store.read('/', 'a', { after: 0, limit: 10 }, config)
  assert.deepEqual(range.entries.map((e) => e.offset), [2])
  assert.equal(range.complete, false, 'offset 1 expired')
  store.resetEpoch('/', 'a')
  const reset = await store.read('/', 'a', { last: 5, limit: 5 }, config)
  assert.notEqual(reset.epoch, range.epoch)
  assert.deepEqual([reset.top, reset.entries.length], [0, 0])
})

test('subscribed rooms get their entries after the append, in order, never synchronously', async () => {
  const store = new MemoryHistoryStore()
  const seen: Array<[string, LiveEntry]> = []
  await store.start({ entry: (_ns, room, entry) => seen.push([room, entry]), logger: silentLogger })
  await store.subscribe('/', 'a')
  void store.append('/', 'a', message(1), config)
  void store.append('/', 'x', message(1), config)
  void store.append('/', 'a', message(2), config)
  assert.equal(seen.length, 0)
  await Promise.resolve()
  assert.deepEqual(seen.map(([room, entry]) => [room, entry.offset, entry.exceptConnections]), [['a', 1, ['c-1']], ['a', 2, ['c-1']]])
  store.unsubscribe('/', 'a')
  void store.append('/', 'a', message(3), config)
  await Promise.resolve()
  assert.equal(seen.length, 2)
})

test('rooms whose messages all expired and that nobody follows are forgotten', async () => {
  let now = 0
  const store = new MemoryHistoryStore(() => now)
  await store.start({ entry: () => {}, logger: silentLogger })
  await store.subscribe('/', 'followed')
  for (let i = 0; i < 500; i++) await store.append('/', `r${i}`, message(i), config)
  await store.append('/', 'followed', message(0), config)
  now = 5000
  for (let i = 0; i < 499; i++) await store.append('/', 'fresh', message(i), config)
  assert.equal(store.rooms, 2, 'the expired rooms went; the followed and the fresh ones stay')
})
