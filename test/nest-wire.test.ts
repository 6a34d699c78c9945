import assert from 'node:assert/strict'
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { RpcException } from '@nestjs/microservices'
import { lastValueFrom, of, timeout } from 'rxjs'
import { createMicroservice, defineGateway, forward, nestRoute, WsError, type Transport } from '../src/index.js'
import { amqpTransport } from '../src/amqp/index.js'
import { natsTransport } from '../src/nats/index.js'
import { redisTransport } from '../src/redis/index.js'
import { brokerSkipReason, brokerUrls } from '../src/testing/index.js'
import { nestClient, nestQueueOptions, startNestService, type NestBroker } from './helpers/nest-microservices.js'
import { eventually, startGateway } from './helpers/start-gateway.js'

// gangway ⇄ unmodified NestJS microservices (@nestjs/microservices 12) on the real brokers,
// both directions: a gangway gateway forwarding client frames to NestJS handlers, and a NestJS
// ClientProxy calling gangway handlers (`wire: 'nest'`).

const BROKERS: NestBroker[] = ['amqp', 'nats', 'redis']

function nestWireTransport(broker: NestBroker, queue: string, timeoutMs = 5000): Transport {
  if (broker === 'amqp') return amqpTransport(brokerUrls.amqp, { wire: 'nest', queue, queueOptions: nestQueueOptions, timeoutMs, inboxExpiresMs: 15_000 })
  if (broker === 'nats') return natsTransport(brokerUrls.nats, { wire: 'nest', timeoutMs })
  return redisTransport(brokerUrls.redis, { wire: 'nest', timeoutMs })
}

/** The deadline header or metadata a NestJS handler can read, per broker (nest-wire.md §5). */
function deadlineSeenBy(broker: NestBroker, ctx: any): string | undefined {
  if (broker === 'amqp') return ctx.getMessage().properties.headers['x-deadline']
  if (broker === 'nats') return ctx.getHeaders()?.get('x-deadline')
  return ctx.getMetadata()?.deadline
}

for (const broker of BROKERS) {
  test(`${broker}: client frames through a gangway gateway reach an unmodified NestJS service; replies, streams, errors, timeouts`, { skip: await brokerSkipReason(broker), timeout: 60_000 }, async (t) => {
    const p = `nw${randomBytes(3).toString('hex')}`
    const queue = `${p}_q`
    const events: unknown[] = []
    let eventSeen: () => void = () => {}
    const nest = await startNestService(broker, queue, {
      messages: [
        [`${p}.sum`, (data: number[]) => data.reduce((a, b) => a + b, 0)],
        [{ role: 'math', cmd: `${p}-obj` }, () => 'object pattern'],
        [`${p}.stream`, () => of(1, 2, 3)],
        [`${p}.nothing`, () => undefined],
        [`${p}.seen`, (_data: unknown, ctx: any) => ({ deadline: deadlineSeenBy(broker, ctx) })],
        [`${p}.coded`, () => Promise.reject(new RpcException({ code: 'OUT_OF_STOCK', message: 'Sold out' }))],
        [`${p}.text`, () => Promise.reject(new RpcException('the database password is hunter2'))],
        [`${p}.boom`, () => Promise.reject(new Error('stack trace with secrets'))],
        [`${p}.slow`, () => new Promise((resolve) => setTimeout(() => resolve('late'), 1500))],
      ],
      events: [
        [
          `${p}.evt`,
          (data: unknown) => {
            events.push(data)
            eventSeen()
          },
        ],
      ],
    })
    t.after(() => nest.close())
    const transport = nestWireTransport(broker, queue)
    t.after(() => transport.close())
    const gateway = defineGateway({ path: '/ws' })
      .subscribe('sum', forward(`${p}.sum`))
      .subscribe('obj', forward({ cmd: `${p}-obj`, role: 'math' }))
      .subscribe('stream', forward(`${p}.stream`))
      .subscribe('nothing', forward(`${p}.nothing`))
      .subscribe('seen', forward(`${p}.seen`))
      .subscribe('coded', forward(`${p}.coded`))
      .subscribe('text', forward(`${p}.text`))
      .subscribe('boom', forward(`${p}.boom`))
      .subscribe('slow', forward(`${p}.slow`, { timeoutMs: 300 }))
      .subscribe('evt', forward(`${p}.evt`))
      .subscribe('nobody', forward(`${p}.nobody`, { timeoutMs: 2000 }))
    const { app, connect } = await startGateway(t, { gateways: [gateway], transport })
    await app.ready()
    const ws = await connect()

    assert.deepEqual(await ws.request('sum', [1, 2, 3]), { event: 'sum', data: 6, id: 1 })
    assert.deepEqual(await ws.request('obj', {}), { event: 'obj', data: 'object pattern', id: 2 })
    assert.equal((await ws.request('stream')).data, 3, 'a stream answers its last value')
    assert.deepEqual(await ws.request('nothing'), { event: 'nothing', data: null, id: 4 })
    const before = Date.now()
    const seen = await ws.request('seen')
    const deadline = Number(seen.data.deadline)
    assert.ok(deadline >= before + 4000 && deadline <= Date.now() + 5000, `the deadline travels to the NestJS handler: ${seen.data.deadline}`)
    assert.deepEqual((await ws.request('coded')).error, { code: 'OUT_OF_STOCK', message: 'Sold out' }, 'a well-formed code the service chose reaches the client')
    assert.deepEqual((await ws.request('text')).error, { code: 'INTERNAL', message: 'Internal error' }, 'an RpcException string leaks nothing')
    assert.deepEqual((await ws.request('boom')).error, { code: 'INTERNAL', message: 'Internal error' })
    assert.deepEqual((await ws.request('slow')).error, { code: 'TIMEOUT', message: 'The service did not answer in time' })

    const arrived = new Promise<void>((resolve) => (eventSeen = resolve))
    ws.emit('evt', { fire: 'and forget' })
    await arrived
    assert.deepEqual(events, [{ fire: 'and forget' }])

    // A pattern nobody serves: RabbitMQ's NestJS server answers "no handler" (UNKNOWN_EVENT); NATS and Redis say nobody listens.
    const started = Date.now()
    const nobody = await ws.request('nobody')
    assert.equal(nobody.error?.code, broker === 'amqp' ? 'UNKNOWN_EVENT' : 'UNAVAILABLE')
    assert.ok(Date.now() - started < 1500, 'answered at once, not at the timeout')
    assert.equal(transport.pending, 0)
  })

  test(`${broker}: a NestJS ClientProxy calls gangway handlers (send and emit)`, { skip: await brokerSkipReason(broker), timeout: 60_000 }, async (t) => {
    const p = `nc${randomBytes(3).toString('hex')}`
    const queue = `${p}_q`
    const transport = nestWireTransport(broker, queue)
    t.after(() => transport.close())
    const events: unknown[] = []
    let eventSeen: () => void = () => {}
    const service = createMicroservice({ transport })
      .handle(`${p}.sum`, (data: number[]) => data.reduce((a, b) => a + b, 0))
      .handle({ cmd: `${p}-obj`, role: 'math' }, (data: unknown, ctx) => ({ data, pattern: ctx.pattern }))
      .handle(`${p}.refuse`, () => {
        throw new WsError('NOT_ALLOWED', 'Ask someone else')
      })
      .handle(`${p}.crash`, () => {
        throw new Error('secret')
      })
      .handle(`${p}.evt`, (data: unknown) => {
        events.push(data)
        eventSeen()
      })
    await service.listen()
    t.after(() => service.close())
    const client = await nestClient(broker, queue)
    t.after(() => client.close())
    const send = (pattern: unknown, data: unknown) => lastValueFrom(client.send(pattern, data).pipe(timeout(5000)))

    assert.equal(await send(`${p}.sum`, [1, 2, 3]), 6)
    // Key order does not matter: NestJS and gangway normalize object patterns the same way.
    assert.deepEqual(await send({ role: 'math', cmd: `${p}-obj` }, 'x'), { data: 'x', pattern: `{"cmd":"${p}-obj","role":"math"}` })
    await assert.rejects(send(`${p}.refuse`, 1), (err: unknown) => {
      assert.deepEqual(err, { status: 'error', code: 'NOT_ALLOWED', message: 'Ask someone else' })
      return true
    })
    await assert.rejects(send(`${p}.crash`, 1), (err: unknown) => {
      assert.deepEqual(err, { status: 'error', code: 'INTERNAL', message: 'Internal error' })
      return true
    })
    const arrived = new Promise<void>((resolve) => (eventSeen = resolve))
    await lastValueFrom(client.emit(`${p}.evt`, { n: 1 }), { defaultValue: undefined })
    await arrived
    assert.deepEqual(events, [{ n: 1 }])
    if (broker === 'amqp') {
      // One queue serves every pattern: a pattern without a handler is answered as a NestJS server does.
      await assert.rejects(send(`${p}.unknown`, 1), (err: unknown) => err === 'There is no matching message handler defined in the remote service.')
    }
    assert.equal(service.stats.failed, 2)
  })
}

/** The NestJS service of the restart test, in a process of its own (SIGKILLed to restart it). */
async function nestServiceProcess(t: TestContext, broker: NestBroker, queue: string, prefix: string): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL('./helpers/nest-service-process.js', import.meta.url)), [], {
    env: { ...process.env, GANGWAY_TEST_NEST: JSON.stringify({ broker, queue, prefix }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  t.after(() => void child.kill('SIGKILL'))
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`the NestJS service exited with ${code}`)))
  })
  return child
}

for (const broker of BROKERS) {
  test(`${broker}: the NestJS service killed and restarted mid-stream: every request answered exactly once, then served again`, { skip: await brokerSkipReason(broker), timeout: 90_000 }, async (t) => {
    const p = `nr${randomBytes(3).toString('hex')}`
    const queue = `${p}_q`
    // Each answer is a stream of two values 20 ms apart: the kill cuts some of them in the middle.
    let nest = await nestServiceProcess(t, broker, queue, p)
    const transport = nestWireTransport(broker, queue)
    t.after(() => transport.close())
    const gateway = defineGateway({ path: '/ws' }).subscribe('echo', forward(`${p}.echo`, { timeoutMs: 1500 }))
    const { app, connect } = await startGateway(t, { gateways: [gateway], transport })
    await app.ready()
    const ws = await connect()

    const total = 300
    const answers = new Map<number, unknown[]>()
    ws.ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString())
      answers.set(frame.id, [...(answers.get(frame.id) ?? []), frame.error?.code ?? frame.data])
    })
    let sent = 0
    let restarted = false
    const inFlight = () => sent - answers.size
    while (sent < total) {
      if (inFlight() < 8) ws.sendRaw(JSON.stringify({ event: 'echo', data: sent, id: sent++ }))
      else await new Promise((resolve) => ws.ws.once('message', resolve))
      if (!restarted && answers.size >= 100) {
        restarted = true
        const exited = new Promise((resolve) => nest.once('exit', resolve))
        nest.kill('SIGKILL')
        await exited
        nest = await nestServiceProcess(t, broker, queue, p)
      }
    }
    await eventually(() => answers.size === total, 20_000, 'every request answered')
    await eventually(() => transport.pending === 0, 5000, 'nothing pending')
    const outcomes = new Map<string, number>()
    for (const [id, got] of answers) {
      assert.equal(got.length, 1, `request ${id} answered once`)
      const outcome = got[0] === id ? 'reply' : String(got[0])
      assert.ok(['reply', 'TIMEOUT', 'UNAVAILABLE'].includes(outcome), `request ${id}: ${outcome}`)
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
    }
    t.diagnostic(`${broker}: ${JSON.stringify(Object.fromEntries(outcomes))}`)
    for (let id = total - 20; id < total; id++) assert.equal(answers.get(id)?.[0], id, `served again after the restart (request ${id})`)
  })
}

test('no NestJS service at all: UNAVAILABLE at once where the broker can tell, TIMEOUT at the deadline where the queue waits for one', { timeout: 30_000 }, async (t) => {
  const p = `nx${randomBytes(3).toString('hex')}`
  const answer = async (transport: Transport) => {
    t.after(() => transport.close())
    const started = Date.now()
    const code = await transport.request(`${p}.nobody`, 1, { timeoutMs: 800 }).then(
      () => 'answered',
      (err: WsError) => err.code,
    )
    return { code, ms: Date.now() - started }
  }
  for (const broker of BROKERS) {
    if (await brokerSkipReason(broker)) continue
    const unavailable = await answer(
      broker === 'amqp' ? amqpTransport(brokerUrls.amqp, { wire: 'nest', queue: `${p}_missing`, noAssert: true }) : nestWireTransport(broker, `${p}_q`),
    )
    assert.equal(unavailable.code, 'UNAVAILABLE', broker)
    assert.ok(unavailable.ms < 600, `${broker}: at once (${unavailable.ms} ms)`)
  }
  if (!(await brokerSkipReason('amqp'))) {
    // The queue is declared (as NestJS clients do) and keeps the request until its TTL: nobody consumes it.
    const waited = await answer(nestWireTransport('amqp', `${p}_q`))
    assert.equal(waited.code, 'TIMEOUT')
    assert.ok(waited.ms >= 790, `at the deadline (${waited.ms} ms)`)
  }
})

test("nestRoute agrees with NestJS's own transformPatternToRoute on generated patterns", async () => {
  const { transformPatternToRoute } = (await import('@nestjs/microservices/utils/transform-pattern.utils.js' as string)) as { transformPatternToRoute(p: unknown): unknown }
  const keys = ['b', 'a', 'B', '_z', '1', 'Z', 'cmd', 'é', 'e', 'role', 'A1', 'a-b', 'q"t']
  const values = [0, 1.5, -2, 'x', 'a.b', 'q"uote', true, false, null, [1, 'two'], { nested: 'yes', Deep: { z: 1, y: 2 } }]
  let seed = 7
  const pick = <T>(list: readonly T[]) => list[(seed = (seed * 48271) % 2147483647) % list.length]!
  for (let n = 0; n < 500; n++) {
    const pattern: Record<string, unknown> = {}
    for (let k = 0; k < 1 + (n % 6); k++) pattern[pick(keys)] = pick(values)
    assert.equal(nestRoute(pattern), transformPatternToRoute(pattern), JSON.stringify(pattern))
  }
})
