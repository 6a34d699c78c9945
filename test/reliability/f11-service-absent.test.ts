// F11 — the service behind a forwarded event is absent or late.
// (a) NATS, nobody subscribed to the pattern: the server's "no responders" status comes back within a
//     round trip and the link maps it to UNAVAILABLE (src/nats/nats-link.ts, openInbox) — the client
//     gets that error frame at once, not after the request timeout.
// (b) RabbitMQ / Redis, a request queue (stream) nobody consumes: the broker cannot tell, so the
//     request ends in exactly one TIMEOUT frame; a service that starts consuming afterwards does not
//     run the dead request (RabbitMQ drops it by its per-message TTL; the service drops an expired
//     Redis entry, counted in `stats.expired`).
// (c) every broker, a service that answers after 2 × the timeout: exactly one TIMEOUT frame per
//     request; the late reply is discarded and counted (`stats.lateReplies`), never sent on; the
//     gateway's pending map is back to 0.
// Each case prints a LEDGER line; "reportedFailed" is the expected outcome here, "lost" must be 0.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import { createMicroservice, defineGateway, forward, silentLogger, type Microservice } from '../../src/index.js'
import { brokerSkipReason, brokerUrls } from '../../src/testing/index.js'
import { cleanUpBroker, createTestTransport, type TransportSpec } from '../helpers/bridge-transports.js'
import { sleep, startGateway } from '../helpers/start-gateway.js'
import type { Frame } from '../helpers/test-socket.js'

const REQUESTS = 20
const CLIENTS = 2

async function setUp(t: TestContext, kind: 'amqp' | 'nats' | 'redis', timeoutMs: number) {
  const spec: TransportSpec = { kind, url: brokerUrls[kind], prefix: `f11-${kind}-${process.pid}-${randomBytes(3).toString('hex')}` }
  const gatewayTransport = createTestTransport(spec)
  t.after(() => gatewayTransport.close())
  const gateway = defineGateway({ path: '/ws' }).subscribe('ask', forward('f11.ask', { timeoutMs }))
  const gw = await startGateway(t, { gateways: [gateway], transport: gatewayTransport, rateLimit: false })
  await gw.app.ready()
  t.after(() => cleanUpBroker(spec)) // registered after the transport's close: runs before it, fine for Redis keys
  const services: Microservice[] = []
  const startService = async (handler: (n: number) => unknown) => {
    const transport = createTestTransport(spec)
    const service = createMicroservice({ transport, logger: silentLogger }).handle('f11.ask', handler)
    await service.listen()
    services.push(service)
    t.after(async () => {
      await service.close()
      await transport.close()
    })
    return service
  }
  const sockets = await Promise.all(Array.from({ length: CLIENTS }, () => gw.connect()))
  /** Sends REQUESTS requests spread over the clients; resolves with each one's frame and how long it took. */
  const ask = () =>
    Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const started = performance.now()
        const frame = await sockets[i % CLIENTS]!.request('ask', i, timeoutMs + 5000)
        return { frame, ms: performance.now() - started }
      }),
    )
  /** Frames carrying a request id that no request consumed: a second answer to some request. */
  const extraAnswers = () => sockets.reduce((sum, s) => sum + s.frames.filter((f: Frame) => f.id !== undefined).length, 0)
  /** One more request, on the first client. */
  const request = (n: number, waitMs: number) => sockets[0]!.request('ask', n, waitMs)
  return { gatewayTransport, startService, ask, extraAnswers, request }
}

function ledger(t: TestContext, name: string, answers: Array<{ frame: Frame }>, expectedCode: string, extra: Record<string, unknown>) {
  const failed = answers.filter((a) => a.frame.error?.code === expectedCode).length
  const delivered = answers.filter((a) => a.frame.error === undefined).length
  const summary = { case: name, accepted: REQUESTS, delivered, reportedFailed: failed, lost: REQUESTS - answers.length, ...extra }
  t.diagnostic(`LEDGER ${JSON.stringify(summary)}`)
  return summary
}

test('F11a nats: no responder — UNAVAILABLE at once, not after the timeout', { skip: await brokerSkipReason('nats'), timeout: 30_000 }, async (t) => {
  const { gatewayTransport, ask, extraAnswers } = await setUp(t, 'nats', 5000)
  const answers = await ask()
  await sleep(300)
  const slowest = Math.max(...answers.map((a) => a.ms))
  ledger(t, 'F11a nats no responder', answers, 'UNAVAILABLE', { duplicates: extraAnswers(), slowestMs: Math.round(slowest) })
  assert.deepEqual(answers.map((a) => a.frame.error?.code), Array(REQUESTS).fill('UNAVAILABLE'))
  assert.ok(slowest < 1000, `answered within a round trip, not the 5 s timeout (slowest ${Math.round(slowest)} ms)`)
  assert.equal(extraAnswers(), 0)
  assert.equal(gatewayTransport.pending, 0)
  assert.equal(gatewayTransport.stats.timeouts, 0)
})

for (const kind of ['amqp', 'redis'] as const) {
  test(`F11b ${kind}: no consumer — one TIMEOUT per request; a consumer starting later does not run them`, { skip: await brokerSkipReason(kind), timeout: 30_000 }, async (t) => {
    const timeoutMs = 800
    const { gatewayTransport, startService, ask, extraAnswers, request } = await setUp(t, kind, timeoutMs)
    const answers = await ask()
    let runs = 0
    const service = await startService((n) => {
      if (n >= 0) runs++ // -1 is the fresh request below
      return n
    })
    // A fresh request queues behind the dead ones: once it is answered, the late consumer has been through them.
    assert.equal((await request(-1, 10_000)).data, -1, 'a request sent once the service is up is served')
    const fastest = Math.min(...answers.map((a) => a.ms))
    ledger(t, `F11b ${kind} no consumer`, answers, 'TIMEOUT', { duplicates: extraAnswers(), lateRuns: runs, serviceExpired: service.stats.expired })
    assert.deepEqual(answers.map((a) => a.frame.error?.code), Array(REQUESTS).fill('TIMEOUT'))
    assert.ok(fastest >= timeoutMs - 50, `no answer before the timeout (fastest ${Math.round(fastest)} ms)`)
    assert.equal(extraAnswers(), 0, 'one frame per request')
    assert.equal(runs, 0, 'the late consumer ran none of the expired requests')
    if (kind === 'redis') assert.equal(service.stats.expired, REQUESTS, 'the service dropped each expired entry')
    assert.equal(gatewayTransport.pending, 0)
    assert.equal(gatewayTransport.stats.lateReplies, 0)
  })
}

for (const kind of ['amqp', 'nats', 'redis'] as const) {
  test(`F11c ${kind}: a reply after 2 × the timeout — one TIMEOUT, the late reply discarded and counted`, { skip: await brokerSkipReason(kind), timeout: 30_000 }, async (t) => {
    const timeoutMs = 500
    const { gatewayTransport, startService, ask, extraAnswers } = await setUp(t, kind, timeoutMs)
    let replied = 0
    const service = await startService(async (n) => {
      await sleep(2 * timeoutMs)
      replied++
      return n
    })
    const answers = await ask()
    // Every late reply has left the service, and had time to arrive.
    const deadline = Date.now() + 5000
    while ((replied < REQUESTS || gatewayTransport.stats.lateReplies < REQUESTS) && Date.now() < deadline) await sleep(20)
    await sleep(200)
    ledger(t, `F11c ${kind} late reply`, answers, 'TIMEOUT', { duplicates: extraAnswers(), lateReplies: gatewayTransport.stats.lateReplies, serviceHandled: service.stats.handled })
    assert.deepEqual(answers.map((a) => a.frame.error?.code), Array(REQUESTS).fill('TIMEOUT'))
    assert.equal(replied, REQUESTS, 'the service did answer, late')
    assert.equal(gatewayTransport.stats.lateReplies, REQUESTS, 'each late reply reached the gateway and was discarded, counted')
    assert.equal(extraAnswers(), 0, 'no late reply went on to a client')
    assert.equal(gatewayTransport.pending, 0)
  })
}
