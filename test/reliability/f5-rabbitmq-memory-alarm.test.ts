// F5 — a RabbitMQ memory alarm (`set_vm_memory_high_watermark 0.000001`) held for F5_ALARM_MS
// (default 20 s) under paced request load, on a private node the test starts (never the shared one).
// Guarantee: once amqplib reports the connection `blocked`, new requests are answered at once with a
// temporary BUSY error frame instead of being queued; after `unblocked` requests succeed again within
// 5 s; every request id gets exactly one frame (its reply, BUSY, or TIMEOUT for the few published
// before the block was known); the gateway's pending map and unconfirmed publishes stay bounded
// during the block and return to 0; every BUSY frame is counted in `transport.stats.busy`; no crash.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import { createMicroservice, defineGateway, silentLogger, type Logger } from '../../src/index.js'
import { amqpTransport } from '../../src/amqp/index.js'
import { privateRabbitSkipReason, startPrivateRabbit } from '../helpers/private-rabbitmq.js'
import { eventually, startGateway } from '../helpers/start-gateway.js'
import { RequestLedger } from './ledger.js'
import { startPacedLoad } from './paced-load.js'

const CLIENTS = 8
const INTERVAL_MS = 25 // 8 × 40 = 320 requests per second
const TIMEOUT_MS = 2000
const ALARM_MS = Number(process.env.F5_ALARM_MS ?? 20_000)
const RECOVERY_BOUND_MS = 5000
/** Requests sent after the recovery bound that must all succeed. */
const AFTER_BOUND = 300
const ALLOWED = new Set(['BUSY', 'TIMEOUT'])
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

test(`F5: RabbitMQ memory alarm for ${ALARM_MS / 1000} s under load — BUSY while blocked, one outcome per request, back after unblocked`, { timeout: ALARM_MS + 90_000 }, async (t) => {
  const skip = privateRabbitSkipReason()
  if (skip !== undefined) return t.skip(skip)
  const rabbit = await startPrivateRabbit(t.after.bind(t))
  const prefix = `f5-${process.pid}`
  const options = { prefix, reconnect: { initialDelayMs: 50, maxDelayMs: 500 } }
  // When the gateway's link learnt of the block and of its end (it logs both).
  const seen: { blocked?: number; unblocked?: number } = {}
  const note = (_obj: object, msg?: string) => {
    if (msg?.startsWith('RabbitMQ blocked')) seen.blocked ??= performance.now()
    if (msg?.startsWith('RabbitMQ unblocked')) seen.unblocked ??= performance.now()
  }
  const logger: Logger = { debug: note, info: note, warn: note, error: note }
  const gatewayTransport = amqpTransport(rabbit.url, { ...options, logger })
  const { clients, app } = await startPacedLoad(t, { serviceTransport: amqpTransport(rabbit.url, options), gatewayTransport, pattern: 'f5.echo', timeoutMs: TIMEOUT_MS, clients: CLIENTS, intervalMs: INTERVAL_MS })

  // Samples what the gateway holds while the broker refuses to read: requests awaiting an answer and heap.
  let maxPending = 0
  let heapBefore = process.memoryUsage().heapUsed
  let maxHeap = heapBefore
  const sampler = setInterval(() => {
    maxPending = Math.max(maxPending, gatewayTransport.pending)
    maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed)
  }, 50)
  t.after(() => clearInterval(sampler))

  await rabbit.setMemoryWatermark('0.000001')
  // From when rabbitmqctl returned: the alarm is in force then (the block may even be seen before).
  const alarmAt = performance.now()
  await sleep(ALARM_MS)
  await rabbit.setMemoryWatermark('0.4')
  // Recovery is measured from the moment the gateway's link learnt the alarm was lifted, not from when
  // rabbitmqctl was started (an Erlang VM start: seconds on a busy machine).
  await eventually(() => seen.unblocked !== undefined, 30_000, 'the gateway sees the connection unblocked')
  const liftedAt = seen.unblocked!
  await sleep(RECOVERY_BOUND_MS)
  await eventually(() => clients.reduce((sum, c) => sum + c.sentAfter(liftedAt + RECOVERY_BOUND_MS), 0) > AFTER_BOUND, 60_000, `${AFTER_BOUND} requests sent after the recovery bound`)
  await Promise.all(clients.map((c) => c.drain(TIMEOUT_MS + 3000)))
  clearInterval(sampler)

  const ledger = RequestLedger.total(clients.map((c) => c.ledger))
  const outcomes = clients.flatMap((c) => c.outcomes)
  const byCode: Record<string, number> = {}
  for (const c of clients) for (const [code, n] of c.errors) byCode[code] = (byCode[code] ?? 0) + n
  const blockedAt = seen.blocked ?? Infinity
  const unblockedAt = seen.unblocked ?? Infinity
  const during = outcomes.filter((o) => o.sentAt > blockedAt && o.sentAt < unblockedAt)
  const busyDuring = during.filter((o) => o.code === 'BUSY').length
  const timeouts = outcomes.filter((o) => o.code === 'TIMEOUT')
  const lateFailures = outcomes.filter((o) => o.code !== undefined && o.sentAt > liftedAt)
  const recoveredMs = lateFailures.length === 0 ? 0 : Math.max(...lateFailures.map((o) => o.sentAt)) - liftedAt
  const slowest = Math.max(...outcomes.map((o) => o.answeredAt - o.sentAt))
  const slowestBusy = Math.max(0, ...outcomes.filter((o) => o.code === 'BUSY').map((o) => o.answeredAt - o.sentAt))
  t.diagnostic(
    `LEDGER ${JSON.stringify({
      case: `F5 rabbitmq memory alarm ${ALARM_MS / 1000}s`,
      ...ledger,
      byCode,
      busyCounted: gatewayTransport.stats.busy,
      blockedAfterMs: Math.round(blockedAt - alarmAt),
      recoveredFromUnblockMs: Math.round(recoveredMs),
      timeoutsSentMs: timeouts.map((o) => Math.round(o.sentAt - alarmAt)),
      sentDuringBlock: during.length,
      busyDuringBlock: busyDuring,
      slowestBusyMs: Math.round(slowestBusy),
      slowestAnswerMs: Math.round(slowest),
      recoveredMs: Math.round(recoveredMs),
      maxPending,
      heapGrowthMB: Math.round((maxHeap - heapBefore) / 1e5) / 10,
      pendingAfter: gatewayTransport.pending,
      lateReplies: gatewayTransport.stats.lateReplies,
    })}`,
  )

  assert.ok(seen.blocked !== undefined && seen.unblocked !== undefined, 'the gateway saw the connection blocked and unblocked')
  assert.equal(ledger.lost, 0, 'every request has an outcome')
  assert.equal(ledger.duplicates + ledger.unexpected + ledger.mismatched, 0, 'no request answered twice or with another request’s data')
  for (const code of Object.keys(byCode)) assert.ok(ALLOWED.has(code), `unexpected error code ${code}`)
  assert.ok(during.length > 1000, `load kept flowing during the alarm (${during.length} requests)`)
  assert.ok(blockedAt - alarmAt < 2000, `the block was seen within 2 s of the alarm (${Math.round(blockedAt - alarmAt)} ms)`)
  assert.equal(busyDuring, during.length, 'every request sent while the gateway knew the connection blocked was answered BUSY')
  for (const o of timeouts) assert.ok(o.sentAt < blockedAt, `a TIMEOUT only for a request sent before the block was known (sent ${Math.round(o.sentAt - alarmAt)} ms after the alarm)`)
  assert.ok(slowestBusy < 1000, `BUSY is answered at once, not after queueing (slowest ${Math.round(slowestBusy)} ms)`)
  assert.equal(gatewayTransport.stats.busy, byCode.BUSY ?? 0, 'every BUSY frame is counted in the transport stats')
  assert.ok(slowest <= TIMEOUT_MS + 1000, `no request hung: the slowest answer took ${Math.round(slowest)} ms`)
  // Bounded: only what was in flight when the block began waits; the rest is refused.
  assert.ok(maxPending <= (TIMEOUT_MS / INTERVAL_MS) * CLIENTS, `pending stayed bounded (max ${maxPending})`)
  assert.ok(recoveredMs <= RECOVERY_BOUND_MS, `success back within 5 s of the unblock (last failure sent ${Math.round(recoveredMs)} ms after it)`)
  const afterBound = outcomes.filter((o) => o.sentAt > liftedAt + RECOVERY_BOUND_MS)
  assert.ok(afterBound.length > AFTER_BOUND, `load kept flowing after recovery (${afterBound.length} requests)`)
  assert.equal(gatewayTransport.pending, 0, 'the gateway has nothing pending')
  assert.equal(app.brokers.get('bridge:amqp'), 'connected', 'health sees the bridge connected')

  // The node is ours alone: after it stops, epmd (shared with the system's node) no longer lists it.
  await rabbit.stop()
  const names = execFileSync('epmd', ['-names'], { timeout: 5000 }).toString()
  assert.ok(!names.includes(rabbit.node.split('@')[0]!), `epmd still lists ${rabbit.node}:\n${names}`)
})

// F5, the service side — regression: amqplib takes every publish on a blocked connection and queues
// it in memory, so a service pushing through a memory alarm grew without bound (measured before the
// fix: ~5 MB/s of pushes, RSS +85 MB in 10 s, none of it refused). Guarantee: while blocked, at most
// `maxBlockedBytes` wait in the service; the pushes beyond are dropped and counted
// (`stats.sendsRefused`), every other push reaches the client once, in order, and pushing resumes
// after the alarm: pushes sent = received + counted as refused, 0 lost.
test('F5: a service pushing through a RabbitMQ memory alarm holds at most maxBlockedBytes, drops and counts the rest, resumes after', { timeout: 90_000 }, async (t) => {
  const skip = privateRabbitSkipReason()
  if (skip !== undefined) return t.skip(skip)
  const rabbit = await startPrivateRabbit(t.after.bind(t))
  const prefix = `f5p-${process.pid}`
  const MAX_BLOCKED = 256 * 1024
  const PUSHES_AFTER_LIFT = 1000
  const PAD = 'p'.repeat(1000)
  const seen: { blocked?: number; unblocked?: number } = {}
  const note = (_obj: object, msg?: string) => {
    if (msg?.startsWith('RabbitMQ blocked')) seen.blocked ??= performance.now()
    if (msg?.startsWith('RabbitMQ unblocked')) seen.unblocked ??= performance.now()
  }
  const options = { prefix, reconnect: { initialDelayMs: 50, maxDelayMs: 500 } }
  const serviceTransport = amqpTransport(rabbit.url, { ...options, maxBlockedBytes: MAX_BLOCKED, logger: { debug: note, info: note, warn: note, error: note } })
  const service = createMicroservice({ transport: serviceTransport, logger: silentLogger }).handle('f5p.noop', () => null)
  await service.listen()
  const gatewayTransport = amqpTransport(rabbit.url, options)
  t.after(async () => {
    await service.close()
    await serviceTransport.close()
    await gatewayTransport.close()
  })
  const gw = await startGateway(t, { gateways: [defineGateway({ path: '/ws' })], transport: gatewayTransport, hello: true })
  await gw.app.ready()
  const client = await gw.connect()
  const hello = (await client.next()) as { event: string; data: { connectionId: string } }
  assert.equal(hello.event, 'hello')
  const received: number[] = []
  client.ws.on('message', (raw: Buffer) => {
    const frame = JSON.parse(raw.toString()) as { event: string; data: { n: number } }
    if (frame.event === 'tick') received.push(frame.data.n)
  })

  // ~2 MB/s of 1 KB pushes to the one connection, through the service's link.
  let sent = 0
  const sentAt: number[] = []
  const push = () => {
    for (let i = 0; i < 20; i++) {
      sentAt.push(performance.now())
      service.server().toConnection(hello.data.connectionId).emit('tick', { n: sent++, pad: PAD })
    }
  }
  const pusher = setInterval(push, 10)
  t.after(() => clearInterval(pusher))
  await sleep(1000)
  await rabbit.setMemoryWatermark('0.000001')
  await sleep(4000)
  await rabbit.setMemoryWatermark('0.4')
  // Pushes are refused exactly while the link is blocked: count from when it learnt the block ended.
  await eventually(() => seen.unblocked !== undefined, 30_000, 'the service sees its connection unblocked')
  const liftedAt = seen.unblocked!
  await eventually(() => sentAt.filter((at) => at > liftedAt).length >= PUSHES_AFTER_LIFT, 60_000, `${PUSHES_AFTER_LIFT} pushes after the unblock`)
  clearInterval(pusher)
  // Everything admitted reaches the client once the broker reads again; wait until it is quiet.
  for (let last = -1, deadline = Date.now() + 15_000; Date.now() < deadline && received.length !== last; ) {
    last = received.length
    await sleep(1000)
  }

  const refused = serviceTransport.stats.sendsRefused
  const distinct = new Set(received).size
  const inOrder = received.every((n, i) => i === 0 || n > received[i - 1]!)
  const blockedAt = seen.blocked ?? Infinity
  const unblockedAt = seen.unblocked ?? Infinity
  const heldDuringBlock = received.filter((n) => sentAt[n]! > blockedAt && sentAt[n]! < unblockedAt).length
  const afterLift = sentAt.filter((at) => at > liftedAt).length
  const receivedAfterLift = received.filter((n) => sentAt[n]! > liftedAt).length
  t.diagnostic(
    `LEDGER ${JSON.stringify({ case: 'F5 service pushes through a memory alarm 4s', accepted: sent, delivered: distinct, reportedFailed: refused, lost: sent - distinct - refused, duplicates: received.length - distinct, inOrder, heldDuringBlock, heldBytesBound: MAX_BLOCKED, afterLift, receivedAfterLift })}`,
  )

  assert.ok(seen.blocked !== undefined && seen.unblocked !== undefined, 'the service saw its connection blocked and unblocked')
  assert.ok(refused > 0, 'pushes beyond maxBlockedBytes were refused instead of piling up in memory')
  assert.equal(sent - distinct - refused, 0, 'every push reached the client or was counted as refused')
  assert.equal(received.length, distinct, 'no push twice')
  assert.ok(inOrder, 'pushes arrive in order')
  // ~1.1 KB per push on the wire: what waited in the service during the block stayed under the bound.
  assert.ok(heldDuringBlock * 1000 <= MAX_BLOCKED, `at most maxBlockedBytes held during the block (${heldDuringBlock} pushes)`)
  assert.equal(receivedAfterLift, afterLift, 'pushing resumed in full after the alarm')
})
