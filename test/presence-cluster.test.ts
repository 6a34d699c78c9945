import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { PresenceMember } from '../src/index.js'
import { brokerSkipReason, brokerUrls } from '../src/testing/index.js'
import { startPrivateNats, startPrivateRedis, waitFor } from './helpers/cluster-brokers.js'
import { startClusterNodes, type ClusterNode, type Member } from './helpers/cluster-nodes.js'
import { keyOf, PresenceWatch } from './helpers/presence-watch.js'

// Presence across three gateway processes on a real Redis and a real NATS: exact members with
// several connections per user, a SIGKILLed node's members leaving within the documented bound,
// and presence rebuilt after the broker itself is killed and restarted (no node restarted).

const ROOM = 'crowd'
/**
 * A SIGKILLed node's members leave every view within this: the node is noticed after
 * `nodeTimeoutMs` (7 s) of silence, checked every `heartbeatIntervalMs` (2 s) — 9 s — and docs
 * promise 15 s.
 */
const LEAVE_BOUND_MS = 15_000

/** User i has 1 + i % 3 connections; connection j is on node (⌊i/3⌋ + j) % 3, so every placement occurs. */
function placement(i: number): number[] {
  return Array.from({ length: 1 + (i % 3) }, (_, j) => (Math.floor(i / 3) + j) % 3)
}

/** Connections the test holds, per user: the node index each is on, and its index `j` among the user's. */
type Population = Map<string, Array<{ node: number; j: number; member: Member }>>

interface Watcher {
  readonly node: number
  readonly user: string
  readonly watch: PresenceWatch
}

async function startWatchers(nodes: readonly ClusterNode[]): Promise<Watcher[]> {
  return Promise.all(
    nodes.map(async (node, i) => {
      const user = `w${i}`
      const member = await node.connect(user)
      const watch = new PresenceWatch(ROOM, member.socket.ws)
      await member.socket.request('join', { room: ROOM, presence: true }, 10_000)
      return { node: i, user, watch }
    }),
  )
}

/** Connects every user's connections (50 at a time) and joins them to the room with meta `{ user, j }`. */
async function populate(nodes: readonly ClusterNode[], users: ReadonlyArray<[string, number[]]>, into: Population = new Map()): Promise<Population> {
  const work = users.flatMap(([user, on]) => on.map((node, j) => ({ user, node, j })))
  for (let at = 0; at < work.length; at += 50) {
    await Promise.all(
      work.slice(at, at + 50).map(async ({ user, node, j }) => {
        const member = await nodes[node]!.connect(user)
        await member.socket.request('join', { room: ROOM, meta: { user, j } }, 10_000)
        const list = into.get(user) ?? []
        list.push({ node, j, member })
        into.set(user, list.sort((x, y) => x.j - y.j))
      }),
    )
  }
  return into
}

async function close(population: Population, user: string, which: (connection: { node: number; j: number }) => boolean = () => true): Promise<void> {
  const list = population.get(user)!
  const closing = list.filter(which)
  await Promise.all(closing.map((c) => c.member.socket.close()))
  const left = list.filter((c) => !closing.includes(c))
  if (left.length === 0) population.delete(user)
  else population.set(user, left)
}

/** Member key → the node ids of its connections, sorted: what every node and watcher must agree on. */
function expected(population: Population, watchers: readonly Watcher[], nodes: readonly ClusterNode[]): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (const [user, list] of population) map.set(user, list.map((c) => nodes[c.node]!.nodeId).sort())
  for (const w of watchers) map.set(w.user, [nodes[w.node]!.nodeId])
  return map
}

function shape(members: readonly PresenceMember[]): Map<string, string[]> {
  return new Map(members.map((m) => [keyOf(m), m.connections.map((c) => c.nodeId).sort()]))
}

function sameKeys(watch: PresenceWatch, want: Map<string, string[]>): boolean {
  return watch.members.size === want.size && [...want.keys()].every((key) => watch.members.has(key))
}

async function assertNodesAgree(nodes: readonly ClusterNode[], want: Map<string, string[]>, label: string): Promise<void> {
  for (const node of nodes) {
    const answer = await node.control<{ value: PresenceMember[]; complete: boolean; missing: string[] }>('presence', { room: ROOM, timeoutMs: 3000 })
    assert.equal(answer.complete, true, `${label}: ${node.nodeId} heard every node (missing ${answer.missing})`)
    assert.deepEqual(shape(answer.value), want, `${label}: server.presence on ${node.nodeId} is exact`)
  }
}

async function converge(watchers: readonly Watcher[], want: Map<string, string[]>, timeoutMs: number, what: string): Promise<void> {
  await waitFor(what, () => watchers.every((w) => sameKeys(w.watch, want)), timeoutMs)
  for (const w of watchers) assert.deepEqual(w.watch.violations, [], `${w.user}: the stream of $presence frames is consistent`)
}

const skip = { redis: await brokerSkipReason('redis'), nats: await brokerSkipReason('nats') }

for (const kind of ['redis', 'nats'] as const) {
  const label = kind === 'redis' ? 'Redis' : 'NATS'
  describe(`presence on ${label}, three node processes`, () => {
    test('300 members with 600 connections: exact everywhere; a SIGKILLed node’s members leave within the bound', { skip: skip[kind], timeout: 120_000 }, async (t) => {
      const nodes = await startClusterNodes(t, brokerUrls[kind], 3)
      const watchers = await startWatchers(nodes)
      const users: Array<[string, number[]]> = Array.from({ length: 300 }, (_, i) => [`u${i}`, placement(i)])
      const population = await populate(nodes, users)
      assert.equal([...population.values()].flat().length, 600)
      let want = expected(population, watchers, nodes)
      await converge(watchers, want, 15_000, 'every watcher to see the 303 members')
      await assertNodesAgree(nodes, want, 'after the joins')
      const someone = (await nodes[0]!.control<{ value: PresenceMember[] }>('presence', { room: ROOM })).value.find((m) => m.userId === 'u5')!
      assert.deepEqual(someone.connections.map((c) => c.meta).sort((a, b) => (a as { j: number }).j - (b as { j: number }).j), [{ user: 'u5', j: 0 }, { user: 'u5', j: 1 }, { user: 'u5', j: 2 }])

      // Second tabs close (no member leaves), then every tab of u0..u29 (30 leaves).
      for (const [user, on] of users) if (on.length > 1) await close(population, user, (c) => c.j === 1)
      for (let i = 0; i < 30; i++) await close(population, `u${i}`)
      want = expected(population, watchers, nodes)
      await converge(watchers, want, 15_000, 'the leaves to reach every watcher')
      await assertNodesAgree(nodes, want, 'after the leaves')
      for (const w of watchers) {
        const leaves = w.watch.leaves.map((l) => l.key).sort()
        assert.deepEqual(leaves, Array.from({ length: 30 }, (_, i) => `u${i}`).sort(), `${w.user}: one leave per user whose last tab closed, none for a closed second tab`)
      }

      // Node 2 is SIGKILLed: its members leave the survivors' views; users with a tab elsewhere stay.
      const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode]
      const survivors = watchers.filter((w) => w.node !== 2)
      const leavesBefore = new Map(survivors.map((w) => [w.user, w.watch.leaves.length]))
      const joinsBefore = new Map(survivors.map((w) => [w.user, w.watch.joins.length]))
      const membersBefore = survivors[0]!.watch.members.size
      const killedAt = Date.now()
      c.process.kill('SIGKILL')
      for (const [user, list] of [...population]) {
        const kept = list.filter((conn) => conn.node !== 2)
        if (kept.length === 0) population.delete(user)
        else population.set(user, kept)
      }
      want = expected(population, survivors, nodes)
      await converge(survivors, want, LEAVE_BOUND_MS + 5000, 'the killed node’s members to leave')
      const latencies: number[] = []
      for (const w of survivors) {
        const leaves = w.watch.leaves.slice(leavesBefore.get(w.user)!)
        assert.deepEqual(w.watch.joins.slice(joinsBefore.get(w.user)!), [], `${w.user}: no join after the kill`)
        assert.equal(leaves.length, membersBefore - want.size, `${w.user}: one leave per member who had no tab on a survivor`)
        assert.ok(leaves.every((l) => !population.has(l.key)), `${w.user}: no leave for a user with a tab on a survivor`)
        for (const leave of leaves) latencies.push(leave.at - killedAt)
      }
      const slowest = Math.max(...latencies)
      assert.ok(slowest <= LEAVE_BOUND_MS, `every leave within ${LEAVE_BOUND_MS} ms of the kill (slowest ${slowest} ms)`)
      await assertNodesAgree([a, b], want, 'after the kill')
      t.diagnostic(`${label}: ${latencies.length / survivors.length} members of the killed node left every view ${Math.min(...latencies)}–${slowest} ms after SIGKILL`)
    })

    test('the broker is killed and restarted: presence is rebuilt, with the joins and leaves of the outage, and no node restarted', { timeout: 90_000 }, async (t) => {
      const broker = await (kind === 'redis' ? startPrivateRedis : startPrivateNats)(t.after.bind(t))
      const nodes = await startClusterNodes(t, broker.url, 3)
      const pids = nodes.map((n) => n.process.pid)
      const watchers = await startWatchers(nodes)
      const users: Array<[string, number[]]> = Array.from({ length: 30 }, (_, i) => [`u${i}`, placement(i)])
      const population = await populate(nodes, users)
      await converge(watchers, expected(population, watchers, nodes), 10_000, 'every watcher to see the 33 members')

      await broker.kill()
      await waitFor('every node to notice the outage', async () => (await Promise.all(nodes.map((n) => n.status()))).every((s) => s.state !== 'connected'), 10_000)
      // While it is away: users leave, tabs close, new users come, on every node.
      for (let i = 0; i < 5; i++) await close(population, `u${i}`)
      for (let i = 5; i < 15; i++) if (population.get(`u${i}`)!.length > 1) await close(population, `u${i}`, (c) => c.j === 0)
      await populate(
        nodes,
        Array.from({ length: 6 }, (_, i) => [`new${i}`, [i % 3]] as [string, number[]]),
        population,
      )
      await broker.restart()
      const restartedAt = Date.now()
      const want = expected(population, watchers, nodes)
      await converge(watchers, want, 20_000, 'every watcher to converge after the restart')
      const rebuiltMs = Date.now() - restartedAt
      await assertNodesAgree(nodes, want, 'after the restart')
      assert.deepEqual(
        nodes.map((n) => n.process.pid),
        pids,
        'the same node processes',
      )
      assert.ok(nodes.every((n) => n.process.exitCode === null && n.process.signalCode === null))
      for (const w of watchers) {
        for (let i = 0; i < 5; i++) assert.equal(w.watch.members.has(`u${i}`), false)
        for (let i = 0; i < 6; i++) assert.equal(w.watch.members.has(`new${i}`), true)
      }
      t.diagnostic(`${label}: every view exact again ${rebuiltMs} ms after the broker restarted`)
    })
  })
}
