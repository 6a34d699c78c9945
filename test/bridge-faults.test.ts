import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { createMicroservice, defineGateway, forward, silentLogger } from '../src/index.js'
import { brokerSkipReason, brokerUrls, TcpProxy } from '../src/testing/index.js'
import { cleanUpBroker, createTestTransport, type TransportSpec } from './helpers/bridge-transports.js'
import { sleep, startGateway } from './helpers/start-gateway.js'
import type { Frame, TestSocket } from './helpers/test-socket.js'

// F4 — the broker connection cut mid-traffic, through a TCP proxy the test controls (the shared broker
// itself is never touched): every request must end with exactly one frame — its reply, or an error
// frame (UNAVAILABLE, TIMEOUT, BUSY) — none hanging, none answered twice; afterwards traffic recovers.
// The service's connection goes through the proxy too, so on the at-least-once brokers (RabbitMQ,
// Redis streams) a request it took but had not acknowledged is delivered again after the cut. Those
// copies must never reach a client twice: the service's dedupe window drops a copy of a request still
// running, or sends its remembered answer again (counted in the service's `duplicates`), and the
// gateway discards an answer to a request already settled (`lateReplies`); a copy whose requester's
// deadline passed is dropped unrun (`expired`). The handler itself runs at most once per request.
// Prints one LEDGER line per broker.

const configurations: Array<{ kind: TransportSpec['kind']; broker: keyof typeof brokerUrls }> = [
  { kind: 'amqp', broker: 'amqp' },
  { kind: 'nats', broker: 'nats' },
  { kind: 'redis', broker: 'redis' },
]

const ALLOWED_FAILURES = new Set(['UNAVAILABLE', 'TIMEOUT', 'BUSY'])

for (const { kind, broker } of configurations) {
  test(`${kind}: the broker connection cut mid-traffic; every request accounted for, then recovery`, { skip: await brokerSkipReason(broker), timeout: 90_000 }, async (t) => {
    const target = new URL(brokerUrls[broker])
    const proxy = await TcpProxy.start(target.hostname, Number(target.port) || { amqp: 5672, nats: 4222, redis: 6379 }[broker])
    t.after(() => proxy.close())
    target.port = String(proxy.port)
    const spec: TransportSpec = { kind, url: target.toString(), prefix: `fault-${kind}-${process.pid}-${randomBytes(3).toString('hex')}` }

    const serviceTransport = createTestTransport(spec)
    const runs = new Map<number, number>()
    let redelivered = 0
    const service = createMicroservice({ transport: serviceTransport, logger: silentLogger })
      .handle('fault.echo', async (n: number, ctx) => {
        runs.set(n, (runs.get(n) ?? 0) + 1)
        if (ctx.redelivered) redelivered++
        return { n }
      })
    await service.listen()
    const gatewayTransport = createTestTransport(spec)
    t.after(async () => {
      await service.close()
      await serviceTransport.close()
      await gatewayTransport.close()
    })
    const gateway = defineGateway({ path: '/ws' }).subscribe('echo', forward('fault.echo', { timeoutMs: 3000 }))
    const gw = await startGateway(t, { gateways: [gateway], transport: gatewayTransport, rateLimit: false })
    await gw.app.ready()
    t.after(() => cleanUpBroker({ ...spec, url: brokerUrls[broker] })) // last: after everything using the broker closed

    const clients = await Promise.all(Array.from({ length: 4 }, () => gw.connect()))
    const outcomes = new Map<string, Frame>()
    let sent = 0
    const perClient = 300
    const run = async (socket: TestSocket, c: number) => {
      // 10 requests in flight per client; every request waits at most 3 s (forward timeout) + margin.
      const lanes = Array.from({ length: 10 }, async (_, lane) => {
        for (let i = lane; i < perClient; i += 10) {
          sent++
          const frame = await socket.request('echo', c * 10_000 + i, 8000)
          outcomes.set(`${c}/${i}`, frame)
          if (frame.error === undefined) assert.deepEqual(frame.data, { n: c * 10_000 + i }, 'the reply belongs to this request')
          else assert.ok(ALLOWED_FAILURES.has(frame.error.code), `unexpected error frame ${JSON.stringify(frame)}`)
          // Paced, so traffic is still flowing when the cut comes; a client backs off after an error, as ours does.
          await sleep(frame.error === undefined ? 10 : 100)
        }
      })
      await Promise.all(lanes)
    }
    const traffic = Promise.all(clients.map(run))
    // Cut every broker connection once traffic flows, keep the broker away for 1.5 s, then let it back.
    while (outcomes.size < 200) await sleep(5)
    assert.ok(outcomes.size < 4 * perClient, 'traffic is still flowing when the cut comes')
    proxy.refuse()
    proxy.cut()
    await sleep(1500)
    proxy.accept()
    await traffic

    assert.equal(outcomes.size, sent, 'every request has an outcome')
    assert.equal(sent, 4 * perClient)
    await sleep(500)
    const duplicates = clients.reduce((sum, socket) => sum + socket.frames.filter((f) => f.id !== undefined).length, 0)
    const failures = [...outcomes.values()].filter((f) => f.error !== undefined)
    const byCode: Record<string, number> = {}
    for (const f of failures) byCode[f.error!.code] = (byCode[f.error!.code] ?? 0) + 1
    const delivered = outcomes.size - failures.length
    const reruns = [...runs.values()].reduce((sum, count) => sum + count - 1, 0)
    const { duplicates: serviceDuplicates, expired } = service.stats
    t.diagnostic(
      `LEDGER ${JSON.stringify({ case: `F4 ${kind} broker connection cut`, accepted: sent, delivered, reportedFailed: failures.length, lost: sent - outcomes.size, duplicates, byCode, handlerReruns: reruns, redeliveredRuns: redelivered, serviceDuplicates, serviceExpired: expired, lateReplies: gatewayTransport.stats.lateReplies })}`,
    )
    assert.equal(duplicates, 0, 'no request answered twice at the client')
    assert.equal(reruns, 0, 'the handler ran at most once per request: broker redeliveries were caught by the dedupe window')
    assert.ok(failures.length > 0 || kind === 'nats', 'the cut was felt (NATS may ride it out in its reconnect buffer)')

    // Recovery: requests succeed again without restarting anything.
    const socket = clients[0]!
    const deadline = Date.now() + 20_000
    while ((await socket.request('echo', -1, 8000)).error !== undefined) {
      assert.ok(Date.now() < deadline, 'traffic recovered within 20 s')
      await sleep(200)
    }
    const after = await Promise.all(Array.from({ length: 50 }, (_, i) => socket.request('echo', i, 8000)))
    assert.deepEqual(after.map((f) => f.error?.code), Array(50).fill(undefined), 'all requests answered after recovery')
    assert.equal(gatewayTransport.pending, 0, 'nothing left pending')
  })
}
