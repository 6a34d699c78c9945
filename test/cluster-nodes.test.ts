import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { NATS_URL, REDIS_URL, requireBroker, waitFor } from './helpers/cluster-brokers.js'
import { startClusterNodes, type Member } from './helpers/cluster-nodes.js'

// Three gateway nodes, each its own process, sharing a real broker. Clients:
//   A: a1 (user u1) in r1, a2 (user u2) in r2
//   B: b1 (user u1) in r1 and r2, b2 (user u3) in r1
//   C: c1 (user u4), in no room
const N = 40

for (const [broker, url] of [
  ['Redis', REDIS_URL],
  ['NATS', NATS_URL],
] as const) {
  describe(`three gateway nodes on ${broker}`, () => {
    test('targets across nodes reach each connection exactly once', async (t) => {
      if (!(await requireBroker(t, broker, url))) return
      const [A, B, C] = await startClusterNodes(t, url, 3)
      const a1 = await A!.connect('u1')
      const a2 = await A!.connect('u2')
      const b1 = await B!.connect('u1')
      const b2 = await B!.connect('u3')
      const c1 = await C!.connect('u4')
      const members = { a1, a2, b1, b2, c1 }
      const join = async (member: Member, room: string) => assert.deepEqual((await member.socket.request('join', { room })).data, { room })
      await join(a1, 'r1')
      await join(b1, 'r1')
      await join(b2, 'r1')
      await join(a2, 'r2')
      await join(b1, 'r2')

      /** Waits for the expected counts, gives stragglers a moment, then checks every member's exact count and order. */
      const expect = async (tag: string, expected: Partial<Record<keyof typeof members, number>>) => {
        const count = (name: keyof typeof members) => members[name].messages(tag).length
        await waitFor(`${tag} deliveries`, () => Object.entries(expected).every(([name, n]) => count(name as keyof typeof members) >= n!))
        await new Promise((resolve) => setTimeout(resolve, 150))
        const actual = Object.fromEntries(Object.keys(members).map((name) => [name, count(name as keyof typeof members)]))
        const wanted = Object.fromEntries(Object.keys(members).map((name) => [name, expected[name as keyof typeof members] ?? 0]))
        assert.deepEqual(actual, wanted, `${tag}: deliveries per member`)
        for (const [name, member] of Object.entries(members)) {
          const seqs = member.messages(tag).map((m) => m.seq)
          assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `${tag}: ${name} got them in order`)
        }
      }
      const emit = (node: typeof A, tag: string, target: object, count = N) => node!.control('emit', { target, tag, count })

      await t.test('to(room) from a node without members', async () => {
        await emit(C, 'room', { rooms: ['r1'] })
        await expect('room', { a1: N, b1: N, b2: N })
      })
      await t.test('to(two rooms): a member of both gets each message once', async () => {
        await emit(A, 'rooms', { rooms: ['r1', 'r2'] })
        await expect('rooms', { a1: N, a2: N, b1: N, b2: N })
      })
      await t.test('toUser: every connection of the user, on every node', async () => {
        await emit(C, 'user', { users: ['u1'] })
        await expect('user', { a1: N, b1: N })
      })
      await t.test('toConnection: one connection on another node', async () => {
        await emit(A, 'conn', { connections: [b2.id, c1.id] })
        await expect('conn', { b2: N, c1: N })
      })
      await t.test('emit to all', async () => {
        await emit(B, 'all', {})
        await expect('all', { a1: N, a2: N, b1: N, b2: N, c1: N })
      })
      await t.test('except(room) applies on every node', async () => {
        await emit(C, 'except', { rooms: ['r1'], exceptRooms: ['r2'] })
        await expect('except', { a1: N, b2: N })
      })
      await t.test('except(client): the sender does not get its own message', async () => {
        for (let seq = 0; seq < 10; seq++) assert.equal((await a1.socket.request('say', { room: 'r1', data: { tag: 'say', seq } })).data, true)
        await expect('say', { b1: 10, b2: 10 })
      })
      await t.test('rooms, users and connections mixed: still once each', async () => {
        await emit(A, 'mixed', { rooms: ['r2'], users: ['u4', 'u1'], connections: [b2.id, b1.id] })
        await expect('mixed', { a1: N, a2: N, b1: N, b2: N, c1: N })
      })
      await t.test('a node without members of a room receives none of its traffic', async () => {
        const [a, b, c] = await Promise.all([A!.status(), B!.status(), C!.status()])
        const roomTraffic = (seen: Record<string, number>) => Object.entries(seen).filter(([channel]) => channel.includes('.room.'))
        assert.deepEqual(roomTraffic(c.seen), [], 'C has no room members, so its bus saw no room message')
        assert.ok(roomTraffic(a.seen).length > 0 && roomTraffic(b.seen).length > 0)
        // B has members of both r1 and r2: the second copy of each two-room broadcast was dropped there.
        assert.ok(b.stats.duplicatesDropped >= N, `B dropped ${b.stats.duplicatesDropped} duplicate copies`)
        assert.equal(a.stats.publishDropped + b.stats.publishDropped + c.stats.publishDropped, 0)
      })
      await t.test('the last local member leaving unsubscribes the node', async () => {
        const r1 = (seen: Record<string, number>) => Object.entries(seen).find(([channel]) => channel.endsWith('.room.%2F.r1'))?.[1] ?? 0
        await b1.socket.request('leave', { room: 'r1' })
        await b2.socket.request('leave', { room: 'r1' })
        const before = r1((await B!.status()).seen)
        await emit(C, 'after-leave', { rooms: ['r1'] })
        await expect('after-leave', { a1: N })
        assert.equal(r1((await B!.status()).seen), before, 'B saw no r1 traffic once its members left')
        await join(b1, 'r1')
        await join(b2, 'r1')
      })
      await t.test('room size and members across nodes', async () => {
        const size = await C!.control<{ value: number; nodes: string[]; missing: string[]; complete: boolean }>('fetchRoomSize', { room: 'r1' })
        assert.equal(size.value, 3)
        assert.equal(size.complete, true)
        assert.deepEqual([...size.nodes].sort(), [A!.nodeId, B!.nodeId, C!.nodeId].sort())
        const members = await A!.control<{ value: string[]; complete: boolean }>('fetchRoomMembers', { room: 'r1' })
        assert.deepEqual([...members.value].sort(), [a1.id, b1.id, b2.id].sort())
        assert.equal(members.complete, true)
        const empty = await B!.control<{ value: number }>('fetchRoomSize', { room: 'nobody-here' })
        assert.equal(empty.value, 0)
      })
      await t.test('a ban disconnects the user on every node', async () => {
        const ban = await C!.control<{ value: number; complete: boolean }>('ban', { userId: 'u1', code: 4001 })
        assert.deepEqual({ value: ban.value, complete: ban.complete }, { value: 2, complete: true })
        assert.equal((await a1.socket.closed).code, 4001)
        assert.equal((await b1.socket.closed).code, 4001)
        assert.equal((await a2.socket.request('whoami')).data.id, a2.id, 'other users stay connected')
        const size = await C!.control<{ value: number }>('fetchRoomSize', { room: 'r1' })
        assert.equal(size.value, 1)
      })
    })
  })
}
