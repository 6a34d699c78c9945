import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, describe, test, type TestContext } from 'node:test'
import { createClient, type GatewayClient } from '../src/client/index.js'
import { brokerSkipReason, brokerUrls, TcpProxy } from '../src/testing/index.js'
import { startPrivateNats, startPrivateRedis, waitFor, type PrivateBroker } from './helpers/cluster-brokers.js'
import { startClusterNodes, type ClusterNode } from './helpers/cluster-nodes.js'
import { flushHistoryStore, removeTestHistory } from './helpers/history-store-flush.js'
import { ledger, RoomTape } from './helpers/room-tape.js'

// Message history and recovery across three gateway processes on a real Redis and a real NATS,
// seen by the real gangway-ws/client in this process:
// A1 a client cut off for 5 s (a TCP proxy between it and its node) gets exactly what it missed, in order, once;
// A2 the same when its node is SIGKILLed and it reconnects to another node;
// A3 more missed than the room keeps, or the store flushed (a new epoch): recovered false, no partial replay;
// A4 the broker itself restarted mid-stream: every accepted message delivered or reported (a ledger).

/** Rooms `h:*` keep plenty; `small:*` keep 50 (overflowed on purpose). Replays as long as the history. */
const HISTORY = {
  rooms: [
    { match: 'h:*', size: 5000, ttlMs: 600_000 },
    { match: 'small:*', size: 50, ttlMs: 600_000 },
  ],
  maxReplayMessages: 5000,
  maxReplayBytes: 4 * 1024 * 1024,
}
/** 200 messages a second. */
const PACE_MS = 5
const OUTAGE_MS = 5000
const STREAM = 1600

let rooms = 0
const roomName = (prefix: 'h' | 'small', what: string) => `${prefix}:${what}-${process.pid}-${Date.now().toString(36)}-${rooms++}`

/** A client that comes back fast (the outage is the test's, not the backoff's); closed when the test ends. */
function historyClient(t: TestContext, url: string | (() => string)): GatewayClient {
  const client = createClient(url, { reconnect: { initialDelayMs: 50, maxDelayMs: 250, stableAfterMs: 100 }, requestTimeoutMs: 15_000 })
  t.after(() => client.close())
  return client
}

/** Starts `count` messages to `room` from `node` (tag = room); with `PACE_MS` they trickle at 200/s. */
function publish(node: ClusterNode, room: string, count: number, options: { first?: number; paced?: boolean } = {}): Promise<unknown> {
  return node.control('emit', { target: { rooms: [room] }, tag: room, count, first: options.first ?? 0, intervalMs: options.paced ? PACE_MS : undefined })
}

/** Waits until `node` has settled (accepted or refused) `count` publishes of `room`; returns its book. */
async function settled(node: ClusterNode, room: string, count: number, timeoutMs = 30_000) {
  type Book = { accepted: number[]; refused: Array<{ seq: number; code: string }>; settled: number }
  let book: Book = { accepted: [], refused: [], settled: 0 }
  await waitFor(`${node.nodeId} to settle ${count} publishes to ${room}`, async () => (book = await node.control<Book>('published', { tag: room })).settled >= count, timeoutMs)
  return book
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

/** Joins and waits for the join's own `$recovery` (every join of a history room is answered); returns the tape's mark after it. */
async function joined(client: GatewayClient, tape: RoomTape): Promise<number> {
  await client.join(tape.room)
  await tape.until('the join’s recovery report', () => tape.recoveries().length === 1)
  assert.deepEqual(tape.recoveries().map((r) => [r.recovered, r.replayed]), [[true, 0]], 'a first join: recovered, nothing to replay')
  return tape.mark()
}

/** Checks A1/A2's promise on a tape: every seq once, in order, one recovered report, whose replay is what was missed. */
function assertRecoveredExactly(tape: RoomTape, mark: number, lastBefore: number, total: number): number {
  assert.deepEqual(tape.seqs(), range(0, total), `every message exactly once, in order (${tape.summary()})`)
  const recoveries = tape.recoveries(mark)
  assert.equal(recoveries.length, 1, `one recovery report (${tape.summary()})`)
  const [recovery] = recoveries
  assert.equal(recovery!.recovered, true, `recovered (${tape.summary()})`)
  assert.equal(recovery!.reason, undefined)
  // The report comes first, then the replay: the `replayed` messages right after it are the ones missed.
  const after = tape.entries.slice(tape.entries.indexOf(recovery!)).flatMap((e) => (e.kind === 'msg' ? [e.seq] : []))
  assert.ok(recovery!.replayed > 0, 'something was replayed')
  assert.deepEqual(after.slice(0, recovery!.replayed), range(lastBefore + 1, lastBefore + 1 + recovery!.replayed), 'the replay is exactly the missed run')
  return recovery!.replayed
}

/**
 * A3's shape: a client (through a proxy the test cuts) gets 5 messages, is cut off while `meanwhile`
 * makes its position useless (and returns the next seq), comes back: it must get one report with
 * `reason` and nothing of the gap, then every live message once.
 */
async function assertReportedNotReplayed(t: TestContext, nodes: readonly ClusterNode[], room: string, reason: string, meanwhile: (room: string) => Promise<number>): Promise<void> {
  const proxy = await TcpProxy.start('127.0.0.1', nodes[0]!.port)
  t.after(() => proxy.close())
  const client = historyClient(t, `ws://127.0.0.1:${proxy.port}/ws`)
  const tape = new RoomTape(client, room)
  const mark = await joined(client, tape)
  await publish(nodes[1]!, room, 5)
  await tape.until('the first 5 messages', () => tape.seqs().length === 5)

  proxy.refuse()
  proxy.cut()
  await tape.until('the client to notice', () => tape.entries.some((e) => e.kind === 'status' && e.status === 'reconnecting'))
  const next = await meanwhile(room)
  proxy.accept()
  await tape.until('the recovery report', () => tape.recoveries(mark).length === 1)
  await publish(nodes[1]!, room, 10, { first: next })
  await tape.until('the live messages after the report', () => tape.seqs().at(-1) === next + 9)

  const [recovery] = tape.recoveries(mark)
  assert.deepEqual({ ...recovery, at: 0 }, { kind: 'recovery', recovered: false, reason, replayed: 0, at: 0 })
  assert.deepEqual(tape.seqs(), [...range(0, 5), ...range(next, next + 10)], 'no partial replay: nothing of the gap, then every live message once')
}

const skip = { redis: await brokerSkipReason('redis'), nats: await brokerSkipReason('nats') }

for (const kind of ['redis', 'nats'] as const) {
  const label = kind === 'redis' ? 'Redis' : 'NATS'
  const startPrivate = (t: TestContext): Promise<PrivateBroker> =>
    kind === 'redis' ? startPrivateRedis(t.after.bind(t)) : startPrivateNats(t.after.bind(t), { jetstream: true })

  describe(`history and recovery on ${label}, three node processes`, { skip: skip[kind] }, () => {
    // The shared broker keeps no history of these tests once they are done.
    after(() => (skip[kind] ? undefined : removeTestHistory(kind, brokerUrls[kind], `test-${process.pid}-`)))
    test('A1: a client cut off for 5 s gets exactly what it missed, in order, once, then the live stream (recovered)', { timeout: 60_000 }, async (t) => {
      const nodes = await startClusterNodes(t, brokerUrls[kind], 3, { history: HISTORY })
      const proxy = await TcpProxy.start('127.0.0.1', nodes[0]!.port)
      t.after(() => proxy.close())
      const room = roomName('h', 'cut')
      const client = historyClient(t, `ws://127.0.0.1:${proxy.port}/ws`)
      const tape = new RoomTape(client, room)
      const mark = await joined(client, tape)

      await publish(nodes[1]!, room, STREAM, { paced: true })
      await tape.until('the first 100 messages', () => tape.seqs().length >= 100)
      proxy.refuse()
      proxy.cut()
      const lastBefore = tape.seqs().at(-1)!
      await sleep(OUTAGE_MS) // the outage itself: nothing to wait for
      proxy.accept()
      await tape.until(`all ${STREAM} messages`, () => tape.seqs().at(-1) === STREAM - 1, 30_000)
      await settled(nodes[1]!, room, STREAM)
      const replayed = assertRecoveredExactly(tape, mark, lastBefore, STREAM)
      t.diagnostic(`${label}: cut after seq ${lastBefore} for ${OUTAGE_MS} ms; ${replayed} replayed after the reconnect, then live up to ${STREAM - 1}`)
      assert.ok(replayed >= 500, `about 1,000 messages were published during the outage (${replayed} replayed)`)
    })

    test('A2: the client’s node is SIGKILLed; on another node it gets exactly what it missed, in order, once (recovered)', { timeout: 60_000 }, async (t) => {
      const [first, publisher, other] = (await startClusterNodes(t, brokerUrls[kind], 3, { history: HISTORY })) as [ClusterNode, ClusterNode, ClusterNode]
      const room = roomName('h', 'kill')
      let attempts = 0
      // The first connection goes to the node about to die; every later one to the third node.
      const client = historyClient(t, () => `ws://127.0.0.1:${(attempts++ === 0 ? first : other).port}/ws`)
      const tape = new RoomTape(client, room)
      const mark = await joined(client, tape)

      await publish(publisher, room, STREAM, { paced: true })
      await tape.until('the first 100 messages', () => tape.seqs().length >= 100)
      first.process.kill('SIGKILL')
      const lastBefore = tape.seqs().at(-1)!
      await tape.until(`all ${STREAM} messages`, () => tape.seqs().at(-1) === STREAM - 1, 30_000)
      await settled(publisher, room, STREAM)
      const replayed = assertRecoveredExactly(tape, mark, lastBefore, STREAM)
      assert.ok(attempts >= 2, 'the client reconnected to another node')
      t.diagnostic(`${label}: node SIGKILLed after seq ${lastBefore}; ${replayed} replayed on ${other.nodeId}`)
    })

    test('A3: more missed than the room keeps: recovered false (too-far-behind), nothing of the gap replayed, live again after', { timeout: 60_000 }, async (t) => {
      const nodes = await startClusterNodes(t, brokerUrls[kind], 3, { history: HISTORY })
      // Ten times what a small: room keeps, published while the client is away.
      await assertReportedNotReplayed(t, nodes, roomName('small', 'overflow'), 'too-far-behind', async (room) => {
        await publish(nodes[1]!, room, 500, { first: 5 })
        await settled(nodes[1]!, room, 505)
        return 505
      })
    })

    test('A3: the history store flushed (a new epoch): recovered false (epoch-changed), nothing replayed, live again after', { timeout: 60_000 }, async (t) => {
      const broker = await startPrivate(t)
      const nodes = await startClusterNodes(t, broker.url, 3, { history: HISTORY })
      await assertReportedNotReplayed(t, nodes, roomName('h', 'flushed'), 'epoch-changed', async (room) => {
        await flushHistoryStore(kind, broker.url)
        // Published into the new stream while the client is away: its old position names the old epoch.
        await publish(nodes[1]!, room, 20, { first: 5 })
        const book = await settled(nodes[1]!, room, 25)
        assert.deepEqual(book.refused, [], 'the nodes write into the new stream')
        return 25
      })
    })

    test('A4: the broker restarted mid-stream: every accepted message is delivered once or reported, none lost, for a client that stayed and one that was away', { timeout: 90_000 }, async (t) => {
      const broker = await startPrivate(t)
      const nodes = await startClusterNodes(t, broker.url, 3, { history: HISTORY })
      const room = roomName('h', 'restart')
      // `stayed` keeps its socket to node 0 through the outage; `away` (node 2, through a proxy) is cut off with the broker and comes back after.
      const stayed = new RoomTape(historyClient(t, `ws://127.0.0.1:${nodes[0]!.port}/ws`), room)
      const proxy = await TcpProxy.start('127.0.0.1', nodes[2]!.port)
      t.after(() => proxy.close())
      const away = new RoomTape(historyClient(t, `ws://127.0.0.1:${proxy.port}/ws`), room)
      const [, awayMark] = await Promise.all([joined(stayed.client, stayed), joined(away.client, away)])

      await publish(nodes[1]!, room, STREAM, { paced: true })
      await stayed.until('the first 200 messages', () => stayed.seqs().length >= 200)
      proxy.refuse()
      proxy.cut()
      await broker.kill()
      await waitFor('every node to notice the outage', async () => (await Promise.all(nodes.map((n) => n.status()))).every((s) => s.state !== 'connected'), 10_000)
      await broker.restart()
      const book = await settled(nodes[1]!, room, STREAM, 60_000)
      await waitFor('the nodes to be connected again', async () => (await Promise.all(nodes.map((n) => n.status()))).every((s) => s.state === 'connected'), 15_000)
      proxy.accept()
      await away.until('the re-join’s recovery report', () => away.recoveries(awayMark).length === 1)
      // A tail after the stream, when both are back: once a client has it, every earlier message had its chance.
      await publish(nodes[1]!, room, 10, { first: STREAM })
      const all = await settled(nodes[1]!, room, STREAM + 10)
      assert.deepEqual(all.refused.filter((r) => r.seq >= STREAM), [], 'the tail was accepted')
      const failures: string[] = []
      for (const [name, tape] of [['stayed', stayed], ['away', away]] as const) {
        await tape.until('the tail', () => tape.seqs().includes(STREAM + 9), 20_000)
        const account = ledger(tape.entries, all.accepted)
        t.diagnostic(
          `${label}, ${name}: ${account.accepted} accepted = ${account.delivered} delivered + ${account.reported} reported + ${account.lost.length} lost` +
            ` (${account.reordered.length} reordered, ${account.duplicates.length} twice); ${book.refused.length} refused while the broker was away; ${tape.summary()}`,
        )
        if (account.duplicates.length > 0) failures.push(`${name}: delivered twice ${account.duplicates}`)
        if (account.reordered.length > 0) failures.push(`${name}: out of order ${account.reordered}`)
        if (account.lost.length > 0) failures.push(`${name}: lost without a report ${account.lost}`)
      }
      assert.deepEqual(failures, [], 'every accepted message delivered once in order, or inside a reported gap')
    })
  })
}
