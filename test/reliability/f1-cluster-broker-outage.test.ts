// F1 / F2 / F3 (cluster side) — the broker under a 3-node cluster fails while a room of 60 members
// spread over the nodes gets a 50 msg/s stream from node A: (a) Redis SIGKILLed and restarted after
// 3 s, (b) Redis frozen with SIGSTOP for 6 s, (c) NATS SIGKILLed and restarted after 3 s. Each on a
// broker process of the test's own.
//
// Guarantee checked: cross-node delivery is at-most-once during the outage, and no loss is silent.
// For each member on B or C: accepted (the stream's messages, all emitted while it was joined) =
// delivered (received, no duplicates, in order) + reported failed (A's publishDropped — A could not
// publish them — plus the member's node's broadcastsMissed — published but never arrived there);
// lost = accepted − delivered − reported failed = 0. Members on A itself lose nothing. Delivery
// resumes after the broker is back, and A's process (same PID) kept serving throughout.
import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { startPrivateNats, startPrivateRedis, waitFor, type PrivateBroker } from '../helpers/cluster-brokers.js'
import { startClusterNodes, type ClusterNode, type Member } from '../helpers/cluster-nodes.js'

const MEMBERS_PER_NODE = 20
const INTERVAL_MS = 20 // 50 msg/s

interface Fault {
  readonly name: string
  readonly broker: 'Redis' | 'NATS'
  /** The stream's length: enough to cover the fault and a few seconds of delivery after it. */
  readonly count: number
  inject(broker: PrivateBroker, A: ClusterNode): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const killFor3s = async (broker: PrivateBroker, A: ClusterNode) => {
  await broker.kill()
  await waitFor('A to notice the outage', async () => (await A.status()).state !== 'connected', 10_000)
  await sleep(3000)
  await broker.restart()
}

const FAULTS: Fault[] = [
  { name: 'F1 Redis SIGKILL, restart after 3 s', broker: 'Redis', count: 500, inject: killFor3s },
  {
    name: 'F2 Redis SIGSTOP 6 s, then SIGCONT',
    broker: 'Redis',
    count: 600,
    async inject(broker) {
      broker.freeze()
      await sleep(6000)
      broker.thaw()
    },
  },
  { name: 'F3 NATS SIGKILL, restart after 3 s', broker: 'NATS', count: 500, inject: killFor3s },
]

interface MemberLedger {
  accepted: number
  delivered: number
  reportedFailed: number
  lost: number
}

/** Delivered = distinct stream numbers received; asserts there is no duplicate, reordering or stray number. */
function delivered(member: Member, name: string, count: number): number {
  const seqs = member.messages('s').map((m) => m.seq)
  for (let i = 0; i < seqs.length; i++) {
    assert.ok(seqs[i]! >= 0 && seqs[i]! < count, `${name}: stray number ${seqs[i]}`)
    if (i > 0) assert.ok(seqs[i]! > seqs[i - 1]!, `${name}: ${seqs[i]} after ${seqs[i - 1]} (duplicate or reordered)`)
  }
  return seqs.length
}

async function run(t: TestContext, fault: Fault): Promise<void> {
  const broker = await (fault.broker === 'Redis' ? startPrivateRedis : startPrivateNats)(t.after.bind(t))
  const nodes = (await startClusterNodes(t, broker.url, 3)) as [ClusterNode, ClusterNode, ClusterNode]
  const [A] = nodes
  const pid = A.process.pid
  const members = await Promise.all(nodes.map((node) => Promise.all(Array.from({ length: MEMBERS_PER_NODE }, () => node.connect()))))
  await Promise.all(members.flat().map((m) => m.socket.request('join', { room: 'live' })))
  const all = members.flat()

  await A.control('emit', { target: { rooms: ['live'] }, tag: 's', count: fault.count, intervalMs: INTERVAL_MS })
  await waitFor('the stream to reach every member', () => all.every((m) => m.messages('s').length >= 20), 10_000)
  await sleep(1000)
  const faultAt = Date.now()
  await fault.inject(broker, A)
  const backAt = Date.now()
  await waitFor('A to be connected again', async () => (await A.status()).state === 'connected', 10_000)
  const remote = [...members[1]!, ...members[2]!]
  const atBack = remote.map((m) => m.messages('s').length)
  await waitFor('cross-node delivery to resume', () => remote.every((m, i) => m.messages('s').length > atBack[i]!), 8000)
  const resumedMs = Date.now() - backAt

  // The stream ends; then wait until nothing more arrives anywhere.
  await waitFor('the whole stream on A', () => members[0]!.every((m) => m.messages('s').length === fault.count), 20_000)
  let last = -1
  await waitFor(
    'the receivers to settle',
    async () => {
      await sleep(300)
      const total = all.reduce((sum, m) => sum + m.messages('s').length, 0)
      const settled = total === last
      last = total
      return settled
    },
    5000,
  )

  const [a, b, c] = await Promise.all(nodes.map((node) => node.status()))
  assert.equal(A.process.pid, pid)
  assert.equal(A.process.exitCode, null, 'A kept running')
  assert.ok(a!.stats.interruptions >= 1, 'A saw the outage')
  for (const [i, m] of members[0]!.entries()) {
    assert.equal(delivered(m, `a${i}`, fault.count), fault.count, `local member a${i} lost nothing`)
  }
  const ledgers: MemberLedger[] = []
  const missedOf = [b!.stats.broadcastsMissed, c!.stats.broadcastsMissed]
  for (const [n, nodeMembers] of [members[1]!, members[2]!].entries()) {
    for (const [i, m] of nodeMembers.entries()) {
      const accepted = fault.count
      const got = delivered(m, `${'bc'[n]}${i}`, fault.count)
      const reportedFailed = a!.stats.publishDropped + missedOf[n]!
      ledgers.push({ accepted, delivered: got, reportedFailed, lost: accepted - got - reportedFailed })
    }
  }
  const sum = (key: keyof MemberLedger) => ledgers.reduce((total, l) => total + l[key], 0)
  const ledger = {
    case: fault.name,
    accepted: sum('accepted'),
    delivered: sum('delivered'),
    reportedFailed: sum('reportedFailed'),
    lost: sum('lost'),
    remoteMembers: ledgers.length,
    localAccepted: fault.count * MEMBERS_PER_NODE,
    localDelivered: members[0]!.reduce((total, m) => total + m.messages('s').length, 0),
    publishDropped: a!.stats.publishDropped,
    broadcastsMissed: missedOf,
    lateDropped: [b!.stats.lateDropped, c!.stats.lateDropped],
    faultMs: backAt - faultAt,
    resumedMs,
  }
  t.diagnostic(`LEDGER ${JSON.stringify(ledger)}`)
  assert.ok(ledger.reportedFailed > 0, 'the outage lost messages, and they were reported')
  for (const [i, l] of ledgers.entries()) assert.equal(l.lost, 0, `remote member ${i}: ${JSON.stringify(l)}`)
}

describe('cluster broker outages under load: every cross-node loss is reported', () => {
  for (const fault of FAULTS) test(fault.name, { timeout: 40_000 }, (t) => run(t, fault))
})
