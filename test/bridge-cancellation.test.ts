import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test, type TestContext } from 'node:test'
import { createMicroservice, defineGateway, forward, WsError, type Microservice, type ServiceContext, type Transport } from '../src/index.js'
import { createClient, GatewayError } from '../src/client/index.js'
import { brokerSkipReason } from '../src/testing/index.js'
import { transportsFor, type TransportSpec } from './helpers/bridge-transports.js'
import { eventually, startGateway } from './helpers/start-gateway.js'

// Deadlines and cancellation end to end, on every transport: a client's deadline and its
// `$cancel` (or its connection closing) reach the service's `ctx.signal` across the broker,
// the client gets exactly one answer, and a request that expired in the queue is never run.

type Kind = TransportSpec['kind']
const KINDS: Array<{ kind: Kind; broker?: 'amqp' | 'nats' | 'redis' }> = [
  { kind: 'in-process' },
  { kind: 'amqp', broker: 'amqp' },
  { kind: 'nats', broker: 'nats' },
  { kind: 'nats-js', broker: 'nats' },
  { kind: 'redis', broker: 'redis' },
]

interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
}
function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

let runs = 0

const transports = (t: TestContext, kind: TransportSpec['kind']) => transportsFor(t, kind, `cx${process.pid}x${runs++}`)

/** Two instances of a service whose `slow` handler waits for its signal; reports starts and aborts. */
async function slowService(t: TestContext, create: () => Transport) {
  const started = deferred<ServiceContext>()
  const aborted = deferred<unknown>()
  const services: Microservice[] = []
  for (let i = 0; i < 2; i++) {
    const service = createMicroservice({ transport: create() }).handle('cx.slow', async (_data, ctx) => {
      started.resolve(ctx)
      if (!ctx.signal.aborted) await once(ctx.signal, 'abort')
      aborted.resolve(ctx.signal.reason)
      return 'too late'
    })
    await service.listen()
    t.after(() => service.close())
    services.push(service)
  }
  return { started, aborted, services }
}

const gateway = defineGateway({ path: '/ws' }).subscribe('slow', forward('cx.slow', { timeoutMs: 10_000 }))

/** A gateway forwarding `slow` on its own transport, ready, and a socket connected to it. */
async function gatewayAndSocket(t: TestContext, create: () => Transport) {
  const transport = create()
  const gw = await startGateway(t, { gateways: [gateway], transport })
  await gw.app.ready()
  return { transport, gw, socket: await gw.connect() }
}

for (const { kind, broker } of KINDS) {
  const skip = broker === undefined ? undefined : await brokerSkipReason(broker)

  test(`${kind}: $cancel answers CANCELLED at once, aborts ctx.signal on whichever instance runs it, and the late reply is discarded`, { skip, timeout: 30_000 }, async (t) => {
    const create = transports(t, kind)
    const { started, aborted, services } = await slowService(t, create)
    const { transport, socket } = await gatewayAndSocket(t, create)
    socket.sendRaw(JSON.stringify({ event: 'slow', data: 1, id: 7 }))
    await started.promise
    const sent = Date.now()
    socket.sendRaw(JSON.stringify({ event: '$cancel', id: 7 }))
    const answer = await socket.next((f) => f.id === 7)
    assert.deepEqual(answer, { event: 'slow', id: 7, error: { code: 'CANCELLED', message: 'The request was cancelled' } })
    assert.ok(Date.now() - sent < 1000, 'answered by the gateway at once')
    const reason = await aborted.promise
    assert.ok(reason instanceof WsError && reason.code === 'CANCELLED', `the service's signal aborted with CANCELLED: ${String(reason)}`)
    await eventually(() => transport.stats.lateReplies === 1, 5000, 'the late reply')
    assert.equal(socket.frames.filter((f) => f.id === 7).length, 0, 'exactly one answer for id 7')
    assert.equal(transport.stats.cancelled, 1)
    assert.equal(services[0]!.stats.cancelled + services[1]!.stats.cancelled, 1)
    // A $cancel for an id that is not in flight is ignored: no answer of its own.
    socket.sendRaw(JSON.stringify({ event: '$cancel', id: 7 }))
    socket.sendRaw(JSON.stringify({ event: '$cancel', id: 'never-sent' }))
    assert.equal(await socket.quiet(200), true)
  })

  test(`${kind}: a connection that closes cancels its forwarded requests on the service`, { skip, timeout: 30_000 }, async (t) => {
    const create = transports(t, kind)
    const { started, aborted } = await slowService(t, create)
    const { socket } = await gatewayAndSocket(t, create)
    socket.sendRaw(JSON.stringify({ event: 'slow', data: 1, id: 1 }))
    await started.promise
    socket.ws.terminate()
    const reason = await aborted.promise
    assert.ok(reason instanceof WsError && reason.code === 'CANCELLED', String(reason))
    assert.match((reason as WsError).message, /connection closed/)
  })

  test(`${kind}: the client's deadline reaches ctx.deadline and ctx.signal (TIMEOUT); the client gets one TIMEOUT`, { skip, timeout: 30_000 }, async (t) => {
    const create = transports(t, kind)
    const { started, aborted } = await slowService(t, create)
    const { transport, socket } = await gatewayAndSocket(t, create)
    const deadline = Date.now() + 600
    socket.sendRaw(JSON.stringify({ event: 'slow', data: 1, id: 1, deadline }))
    const ctx = await started.promise
    assert.equal(ctx.deadline, deadline, 'the service sees the client deadline (shorter than the forward timeout)')
    const answer = await socket.next((f) => f.id === 1)
    assert.equal(answer.error?.code, 'TIMEOUT')
    assert.ok(Date.now() >= deadline - 5, 'not before the deadline')
    const reason = await aborted.promise
    assert.ok(reason instanceof WsError && reason.code === 'TIMEOUT', String(reason))
    await eventually(() => transport.stats.lateReplies === 1, 5000, 'the late reply')
    assert.equal(socket.frames.filter((f) => f.id === 1).length, 0, 'one answer')
  })

  test(`${kind}: gangway-ws/client — an aborted signal rejects CANCELLED at once and the service stops`, { skip, timeout: 30_000 }, async (t) => {
    const create = transports(t, kind)
    const { started, aborted } = await slowService(t, create)
    const { gw } = await gatewayAndSocket(t, create)
    const client = createClient(gw.url(), { heartbeat: false })
    t.after(() => client.close())
    await client.whenOpen()
    const controller = new AbortController()
    const request = client.request('slow', 1, { timeoutMs: 5000, signal: controller.signal })
    const ctx = await started.promise
    assert.ok(ctx.deadline! <= Date.now() + 5000 && ctx.deadline! > Date.now() + 3000, 'the SDK sent its timeout as the deadline')
    controller.abort()
    await assert.rejects(request, (err: GatewayError) => err.code === 'CANCELLED')
    const reason = await aborted.promise
    assert.ok(reason instanceof WsError && reason.code === 'CANCELLED', String(reason))
  })
}

// Queued brokers only: core NATS answers UNAVAILABLE when nobody listens, and RabbitMQ drops a
// request whose deadline passed in the queue itself (per-message TTL), so its service never sees it.
for (const { kind, broker } of KINDS.filter((k) => k.kind === 'in-process' || k.kind === 'redis' || k.kind === 'nats-js')) {
  test(`${kind}: a request whose deadline passed in the queue is not run, is counted, and the client gets one TIMEOUT`, { skip: broker === undefined ? undefined : await brokerSkipReason(broker), timeout: 30_000 }, async (t) => {
    const create = transports(t, kind)
    const transport = create()
    const gw = await startGateway(t, { gateways: [defineGateway({ path: '/ws' }).subscribe('late', forward('cx.late', { timeoutMs: 300 }))], transport })
    await gw.app.ready()
    const socket = await gw.connect()
    // The queue exists before the request (Redis and JetStream create it with their consumer group).
    let ran = 0
    if (kind !== 'in-process') {
      const earlier = create()
      await createMicroservice({ transport: earlier }).handle('cx.late', () => ran++).listen()
      await earlier.close()
    }
    assert.equal((await socket.request('late', 1)).error?.code, 'TIMEOUT')
    const service = createMicroservice({ transport: create() }).handle('cx.late', () => ran++)
    await service.listen()
    t.after(() => service.close())
    await eventually(() => service.stats.expired === 1, 10_000, 'the expired request counted')
    assert.equal(ran, 0, 'never run')
    assert.equal(socket.frames.length, 0, 'one answer, the TIMEOUT')
  })
}
