import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { HistoryReadRequest, RoomHistoryConfig } from '../contracts/history.js'
import { MemoryHistoryStore } from './memory-history-store.js'
import { planRecovery } from './recovery-plan.js'
import { ReplayBatches } from './replay-batches.js'
import { ReplayGate } from './replay-gate.js'

const config: RoomHistoryConfig = { size: 1000, ttlMs: 60_000 }
const limits = { maxReplayMessages: 1000, maxReplayBytes: 1_000_000 }
const after = (offset: number): HistoryReadRequest => ({ after: offset, limit: limits.maxReplayMessages + 1 })

/** A memory store whose reads are counted and, while `hold` is set, answered only when it resolves (the snapshot is taken at once). */
function countingStore(): { store: MemoryHistoryStore; reads: number; hold: Promise<void> | undefined; batches: ReplayBatches; gate: ReplayGate } {
  const store = new MemoryHistoryStore()
  const gate = new ReplayGate(8, 100)
  const counting = {
    store,
    reads: 0,
    hold: undefined as Promise<void> | undefined,
    gate,
    batches: new ReplayBatches(gate, 100, async (namespace, room, request, roomConfig) => {
      counting.reads++
      const range = await store.read(namespace, room, request, roomConfig)
      await counting.hold
      return range
    }),
  }
  return counting
}

async function publish(store: MemoryHistoryStore, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) await store.append('/', 'r', { event: 'msg', data: `{"n":${n}}`, exceptRooms: [], exceptConnections: [] }, config)
}

test('joins with the same request that wait at the same time share one read and one frame per entry', async () => {
  const s = countingStore()
  await publish(s.store, 1, 100)
  const pending = Array.from({ length: 50 }, () => s.batches.join('/', 'r', after(0), config)!)
  assert.equal(s.batches.waiting, 50)
  const leases = (await Promise.all(pending)).map((lease) => lease!)
  assert.equal(s.reads, 1, 'one store read for 50 joins')
  assert.equal(s.batches.waiting, 0)
  const entry = leases[0]!.range.entries[0]!
  assert.equal(leases[0]!.range.entries.length, 100)
  assert.ok(leases.every((lease) => lease.frame(entry) === leases[0]!.frame(entry)), 'the same frame for every join')
  assert.equal(s.gate.running, 1, 'one gate slot for the batch')
  for (const lease of leases) lease.done()
  leases[0]!.done() // twice is once
  assert.equal(s.gate.running, 0, 'freed when every join is done')
})

test('different requests, rooms or namespaces get their own reads', async () => {
  const s = countingStore()
  await publish(s.store, 1, 5)
  const leases = await Promise.all([
    s.batches.join('/', 'r', after(0), config),
    s.batches.join('/', 'r', after(3), config),
    s.batches.join('/', 'r', { last: 2, limit: 2 }, config),
    s.batches.join('/', 'other', after(0), config),
    s.batches.join('/admin', 'r', after(0), config),
  ])
  assert.equal(s.reads, 5)
  assert.deepEqual(leases.map((lease) => lease!.range.entries.length), [5, 2, 2, 0, 0])
  for (const lease of leases) lease!.done()
})

test('a join registered after a read began gets a fresh read that sees what was published in between', async () => {
  const s = countingStore()
  await publish(s.store, 1, 10)
  let release = () => {}
  s.hold = new Promise((resolve) => (release = resolve))
  const first = s.batches.join('/', 'r', after(5), config)!
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(s.reads, 1, 'the first batch is reading')
  // Published after the first read's snapshot, before the second join started holding.
  await publish(s.store, 11, 11)
  const second = s.batches.join('/', 'r', after(5), config)!
  const third = s.batches.join('/', 'r', after(5), config)!
  release()
  const [a, b, c] = await Promise.all([first, second, third])
  assert.equal(s.reads, 2, 'the two later joins share the second read')
  assert.deepEqual(a!.range.entries.map((e) => e.offset), [6, 7, 8, 9, 10])
  assert.deepEqual(b!.range.entries.map((e) => e.offset), [6, 7, 8, 9, 10, 11], 'message 11 is in the second read')
  assert.equal(b!.range, c!.range)
  for (const lease of [a, b, c]) lease!.done()
})

test('one shared read, planned per join: each request epoch decides its own outcome', async () => {
  const s = countingStore()
  await publish(s.store, 1, 4)
  const { epoch } = await s.store.read('/', 'r', { last: 0, limit: 0 }, config)
  const [mine, stale] = await Promise.all([s.batches.join('/', 'r', after(2), config), s.batches.join('/', 'r', after(2), config)])
  assert.equal(s.reads, 1)
  const ok = planRecovery('r', { offset: 2, epoch }, mine!.range, limits)
  const gone = planRecovery('r', { offset: 2, epoch: 'an-old-epoch' }, stale!.range, limits)
  assert.deepEqual(ok.report, { room: 'r', recovered: true, epoch, offset: 4, replayed: 2 })
  assert.deepEqual(gone.report, { room: 'r', recovered: false, reason: 'epoch-changed', epoch, offset: 4, replayed: 0 })
  mine!.done()
  stale!.done()
})

test('a failed read rejects every join of its batch and frees its slot; past maxWaiting a join is refused', async () => {
  const gate = new ReplayGate(1, 10)
  let reads = 0
  const batches = new ReplayBatches(gate, 3, async () => {
    reads++
    throw new Error('store down')
  })
  const joins = Array.from({ length: 4 }, (_, i) => batches.join('/', 'r', after(i % 2), config))
  // Three wait beyond the one free slot.
  assert.equal(batches.join('/', 'r', after(0), config), undefined, 'a fifth waiting join is refused')
  const outcomes = await Promise.allSettled(joins)
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected', 'rejected'])
  assert.equal(reads, 2)
  assert.equal(gate.running, 0)
})
