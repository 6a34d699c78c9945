import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { startPrivateNats, startPrivateRedis, waitFor, type PrivateBroker } from './helpers/cluster-brokers.js'
import { startClusterNodes, type ClusterNode, type Member } from './helpers/cluster-nodes.js'

// Faults on a broker process of the test's own (the shared services are never touched).
// A streams to room "live" every 20 ms; a1 is on A, b1 on B, c1 on C.

const STREAM = { count: 500, intervalMs: 20 }

async function streamingCluster(t: TestContext, broker: PrivateBroker) {
  const [A, B, C] = (await startClusterNodes(t, broker.url, 3)) as [ClusterNode, ClusterNode, ClusterNode]
  const members = [await A.connect(), await B.connect(), await C.connect()] as [Member, Member, Member]
  for (const member of members) await member.socket.request('join', { room: 'live' })
  await A.control('emit', { target: { rooms: ['live'] }, tag: 's', ...STREAM })
  await waitFor('the stream to reach every node', () => members.every((m) => m.messages('s').length >= 10))
  return { nodes: [A, B, C] as const, members }
}

function assertNoDuplicates(member: Member, name: string): number[] {
  const seqs = member.messages('s').map((m) => m.seq)
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, `${name}: seq ${seqs[i]} after ${seqs[i - 1]} (duplicate or reordered)`)
  return seqs
}

for (const [name, start] of [
  ['Redis', startPrivateRedis],
  ['NATS', startPrivateNats],
] as const) {
  describe(`cluster on a private ${name} server`, () => {
    test('killed mid-stream and restarted: local delivery goes on, cross-node delivery resumes within 5 s', async (t) => {
      const broker = await start(t.after.bind(t))
      const {
        nodes: [A, B],
        members: [a1, b1, c1],
      } = await streamingCluster(t, broker)

      await broker.kill()
      await waitFor('A to notice the outage', async () => (await A.status()).state !== 'connected', 10_000)
      const localAtOutage = a1.messages('s').length
      await new Promise((resolve) => setTimeout(resolve, 1000))
      assert.ok(a1.messages('s').length >= localAtOutage + 20, 'local members keep receiving while the broker is down')

      const remoteAtRestart = [b1.messages('s').length, c1.messages('s').length]
      await broker.restart()
      const restartedAt = Date.now()
      await waitFor(
        'cross-node delivery to resume',
        () => b1.messages('s').length > remoteAtRestart[0]! && c1.messages('s').length > remoteAtRestart[1]!,
        5000,
      )
      t.diagnostic(`${name}: cross-node delivery resumed ${Date.now() - restartedAt} ms after the restart`)

      const local = assertNoDuplicates(a1, 'a1')
      assert.deepEqual(local, Array.from({ length: local.length }, (_, i) => i), 'the local member lost nothing')
      assertNoDuplicates(b1, 'b1')
      assertNoDuplicates(c1, 'c1')
      const [a, b] = await Promise.all([A.status(), B.status()])
      assert.equal(a.state, 'connected')
      assert.ok(a.stats.interruptions >= 1 && b.stats.interruptions >= 1)
      assert.ok(a.stats.publishDropped > 0, 'publishes during the outage were dropped and counted, not queued')
      assert.deepEqual(a.states.slice(-2), ['reconnecting', 'connected'])
      // Every node re-learnt the others after the outage.
      await waitFor('the nodes to know each other again', async () => (await A.status()).nodes.length === 2)
    })

    test('frozen (SIGSTOP): the health ping detects it, and delivery resumes after SIGCONT', async (t) => {
      const broker = await start(t.after.bind(t))
      const {
        nodes: [A],
        members: [, b1],
      } = await streamingCluster(t, broker)

      broker.freeze()
      const frozenAt = Date.now()
      // Detection bound: healthCheckIntervalMs + healthCheckTimeoutMs (2.5 s + 2.5 s by default), plus slack for a busy machine.
      await waitFor('A to detect the frozen broker', async () => (await A.status()).state !== 'connected', 9000)
      t.diagnostic(`${name}: frozen broker detected after ${Date.now() - frozenAt} ms`)
      assert.ok((await A.status()).stats.healthCheckFailures >= 1 || name === 'NATS')

      const atThaw = b1.messages('s').length
      broker.thaw()
      const thawedAt = Date.now()
      await waitFor('cross-node delivery to resume', () => b1.messages('s').length > atThaw + 5, 5000)
      t.diagnostic(`${name}: delivery resumed ${Date.now() - thawedAt} ms after SIGCONT`)
      assertNoDuplicates(b1, 'b1')
    })
  })
}
