// L5 (cluster part) — connection churn on 2 nodes of a cluster, on a private Redis and a private
// NATS: each cycle connects as one of 40 users, joins one of 30 rooms, makes one request and leaves
// (1 in 5 torn down without a close frame), 20 at a time per node.
//
// Guarantee checked: the broker-side subscriptions return exactly to their baseline once the
// clients are gone — a node subscribes to a room's and a user's channel while it has local members
// and unsubscribes when the last one leaves, also when joins and leaves race with the broker's
// confirmations. Counted on the broker itself: Redis `PUBSUB CHANNELS` + `PUBSUB NUMSUB`, NATS's
// monitoring endpoint `/subsz?subs=1` (nats-server -m). Every cycle is answered (accepted =
// delivered), and the subscriptions must have grown during the churn (the check can fail).
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, test, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import WebSocket from 'ws'
import { startPrivateNats, startPrivateRedis, waitFor, type PrivateBroker } from '../helpers/cluster-brokers.js'
import { startClusterNodes, type ClusterNode } from '../helpers/cluster-nodes.js'

const CYCLES_PER_NODE = 500
const CONCURRENCY = 20
const USERS = 40
const ROOMS = 30

/** Subscriber count per channel/subject as the broker reports it. */
type Subscriptions = Map<string, number>

interface BrokerView {
  /** `settled`: nothing is changing now, so the listing must be complete (mid-churn it may lag its own count). */
  subscriptions(settled?: boolean): Promise<Subscriptions>
  close(): Promise<void>
}

async function redisView(broker: PrivateBroker): Promise<BrokerView> {
  const redis = new Redis(broker.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  await redis.connect()
  return {
    async subscriptions() {
      const channels = (await redis.pubsub('CHANNELS', '*')) as string[]
      const counts = channels.length === 0 ? [] : ((await redis.pubsub('NUMSUB', ...channels)) as Array<string | number>)
      const map: Subscriptions = new Map()
      for (let i = 0; i < counts.length; i += 2) if (Number(counts[i + 1]) > 0) map.set(String(counts[i]), Number(counts[i + 1]))
      return map
    },
    close: async () => void (await redis.quit().catch(() => redis.disconnect())),
  }
}

function natsView(broker: PrivateBroker): BrokerView {
  return {
    async subscriptions(settled = false) {
      const response = await fetch(`${broker.monitorUrl}/subsz?subs=1&limit=100000`)
      const body = (await response.json()) as { num_subscriptions: number; subscriptions_list?: Array<{ subject: string }> }
      const map: Subscriptions = new Map()
      for (const { subject } of body.subscriptions_list ?? []) map.set(subject, (map.get(subject) ?? 0) + 1)
      if (settled) assert.equal(total(map), body.num_subscriptions, 'the listing is complete')
      return map
    },
    close: async () => {},
  }
}

const total = (subs: Subscriptions) => [...subs.values()].reduce((a, b) => a + b, 0)

/** One cycle: connect, join, one request, leave; resolves true once answered and closed. */
async function cycle(port: number, i: number): Promise<boolean> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?user=u${i % USERS}`)
  ws.on('error', () => {})
  const replies = new Map<number, (frame: { error?: unknown }) => void>()
  ws.on('message', (raw: Buffer) => {
    const frame = JSON.parse(raw.toString()) as { id?: number; error?: unknown }
    if (frame.id !== undefined) replies.get(frame.id)?.(frame)
  })
  const request = (id: number, event: string, data: unknown) =>
    new Promise<boolean>((resolve) => {
      replies.set(id, (frame) => resolve(frame.error === undefined))
      ws.send(JSON.stringify({ event, data, id }))
    })
  await once(ws, 'open')
  const ok = (await request(1, 'join', { room: `r${i % ROOMS}` })) && (await request(2, 'whoami', null))
  if (i % 5 === 0) ws.terminate()
  else ws.close()
  await once(ws, 'close')
  return ok
}

async function churn(node: ClusterNode, offset: number): Promise<number> {
  let next = 0
  let answered = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CYCLES_PER_NODE) if (await cycle(node.port, offset + next++)) answered++
    }),
  )
  return answered
}

async function run(t: TestContext, name: 'Redis' | 'NATS'): Promise<void> {
  const broker = name === 'Redis' ? await startPrivateRedis(t.after.bind(t)) : await startPrivateNats(t.after.bind(t), { monitor: true })
  const view = name === 'Redis' ? await redisView(broker) : natsView(broker)
  t.after(() => view.close())
  const nodes = await startClusterNodes(t, broker.url, 2)
  const baseline = await view.subscriptions(true)

  let peak = total(baseline)
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, total(await view.subscriptions()))
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  const startedAt = Date.now()
  const answered = (await Promise.all(nodes.map((node, n) => churn(node, n * CYCLES_PER_NODE)))).reduce((a, b) => a + b, 0)
  const churnMs = Date.now() - startedAt
  sampling = false
  await sampler

  // Unsubscribing is asynchronous (and the nodes see a terminated socket go a moment later).
  // On timeout the deepEqual below shows what leaked.
  await waitFor('the broker subscriptions to return to the baseline', async () => total(await view.subscriptions()) === total(baseline), 10_000).catch(() => {})
  const after = await view.subscriptions(true)
  const statuses = await Promise.all(nodes.map((node) => node.status()))
  const accepted = CYCLES_PER_NODE * nodes.length
  const ledger = {
    case: `L5 cluster churn on 2 nodes over ${name}`,
    accepted,
    delivered: answered,
    reportedFailed: 0,
    lost: accepted - answered,
    cyclesPerS: Math.round(accepted / (churnMs / 1000)),
    subscriptionsBaseline: total(baseline),
    subscriptionsPeak: peak,
    subscriptionsAfter: total(after),
    leaked: total(after) - total(baseline),
  }
  t.diagnostic(`LEDGER ${JSON.stringify(ledger)}`)
  assert.ok(peak > total(baseline) + ROOMS, `rooms and users were subscribed during the churn (peak ${peak}, baseline ${total(baseline)})`)
  assert.deepEqual(Object.fromEntries(after), Object.fromEntries(baseline), 'every channel and subscriber count back to the baseline')
  assert.equal(ledger.lost, 0, 'every cycle answered')
  for (const status of statuses) assert.equal(status.state, 'connected')
}

describe('L5 cluster: broker subscriptions back to baseline after churn', () => {
  for (const name of ['Redis', 'NATS'] as const) test(name, { timeout: 60_000 }, (t) => run(t, name))
})
