import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  createMicroservice,
  defineGateway,
  forward,
  Gateway,
  inProcessTransport,
  Subscribe,
  WsError,
  type Client,
  type ForwardMeta,
} from '../src/index.js'
import { InProcessBroker } from '../src/internal.js'
import { eventually, sleep, startGateway } from './helpers/start-gateway.js'

@Gateway({ path: '/ws' })
class AskGateway {
  @Subscribe('ask') ask = forward('demo.ask', { timeoutMs: 2000 })
  @Subscribe('slow') slow = forward('demo.slow', { timeoutMs: 150 })
  @Subscribe('join')
  async join({ room }: { room: string }, client: Client) {
    await client.join(room)
    return { room }
  }
}

async function setup(t: import('node:test').TestContext, gatewayOptions: { maxPending?: number } = {}) {
  const broker = new InProcessBroker()
  const gatewayTransport = inProcessTransport({ broker, ...gatewayOptions })
  const serviceTransport = inProcessTransport({ broker })
  const seen: ForwardMeta[] = []
  const service = createMicroservice({ transport: serviceTransport })
    .handle('demo.ask', async (data: any, ctx) => {
      seen.push(ctx.meta)
      if (data?.fail === 'wire') throw new WsError('NOT_ALLOWED', 'You may not ask that')
      if (data?.fail === 'crash') throw new Error('database password is hunter2')
      ctx.push('progress', { step: 1 })
      return { answer: data }
    })
    .handle('demo.slow', async (data: any) => {
      await sleep(400)
      return data
    })
  await service.listen()
  const gw = await startGateway(t, { gateways: [new AskGateway()], transport: gatewayTransport, connectionGuards: [() => ({ id: 'ada' })] })
  await gw.app.ready()
  t.after(async () => {
    await service.close()
    await serviceTransport.close()
    await gatewayTransport.close()
  })
  return { gw, service, seen, gatewayTransport, serviceTransport }
}

test('a forwarded request is answered by the service, after its progress push, with metadata', async (t) => {
  const { gw, seen } = await setup(t)
  const socket = await gw.connect()
  const reply = await socket.request('ask', { q: 'life' })
  assert.deepEqual(reply, { event: 'ask', data: { answer: { q: 'life' } }, id: 1 })
  const progress = await socket.nextEvent('progress')
  assert.deepEqual(progress.data, { step: 1 })
  const progressIndex = socket.frames.length // both were received; the progress frame came first
  assert.ok(progressIndex >= 0)
  const meta = seen[0]!
  assert.match(meta.connectionId!, new RegExp(`^${gw.app.nodeId}-`))
  assert.equal(meta.nodeId, gw.app.nodeId)
  assert.equal(meta.namespace, '/')
  assert.equal(meta.event, 'ask')
  assert.equal(meta.requestId, 1)
  assert.match(meta.traceId!, /^[0-9a-f]{32}$/)
})

test('service errors: a WsError reaches the client as is, anything else as INTERNAL without details', async (t) => {
  const { gw } = await setup(t)
  const socket = await gw.connect()
  const wire = await socket.request('ask', { fail: 'wire' })
  assert.deepEqual(wire.error, { code: 'NOT_ALLOWED', message: 'You may not ask that' })
  const crash = await socket.request('ask', { fail: 'crash' })
  assert.deepEqual(crash.error, { code: 'INTERNAL', message: 'Internal error' })
  assert.equal(JSON.stringify(socket.frames).includes('hunter2'), false)
})

test('a service slower than the timeout gives TIMEOUT once; its late reply is discarded and counted', async (t) => {
  const { gw, gatewayTransport } = await setup(t)
  const socket = await gw.connect()
  const answer = await socket.request('slow', { n: 1 })
  assert.equal(answer.error?.code, 'TIMEOUT')
  await eventually(() => gatewayTransport.stats.lateReplies === 1, 3000, 'the late reply')
  assert.equal(await socket.quiet(100, (f) => f.id === 1), true)
  assert.equal(gatewayTransport.pending, 0)
})

test('with too many requests in flight the gateway answers BUSY instead of queueing', async (t) => {
  const { gw } = await setup(t, { maxPending: 2 })
  const socket = await gw.connect()
  const answers = await Promise.all([socket.request('slow', 1), socket.request('slow', 2), socket.request('slow', 3)])
  assert.deepEqual(answers.map((a) => a.error?.code).sort(), ['BUSY', 'TIMEOUT', 'TIMEOUT'])
})

test('a request to a closed transport answers UNAVAILABLE', async (t) => {
  const { gw, gatewayTransport } = await setup(t)
  const socket = await gw.connect()
  await gatewayTransport.close()
  const answer = await socket.request('ask', 1)
  assert.equal(answer.error?.code, 'UNAVAILABLE')
})

test('services push to a user and to a room on the gateway, from outside any request', async (t) => {
  const { gw, service } = await setup(t)
  const a = await gw.connect()
  const b = await gw.connect()
  await a.request('join', { room: 'lobby' })
  service.server().to('lobby').emit('news', { n: 1 })
  assert.deepEqual((await a.nextEvent('news')).data, { n: 1 })
  assert.equal(await b.quiet(100, (f) => f.event === 'news'), true)
  service.server().toUser('ada').emit('dm', 'hi')
  assert.equal((await a.nextEvent('dm')).data, 'hi')
  assert.equal((await b.nextEvent('dm')).data, 'hi')
})

test('the builder API forwards too, and a frame without id is sent as an event', async (t) => {
  const broker = new InProcessBroker()
  const transport = inProcessTransport({ broker })
  const got: unknown[] = []
  const service = createMicroservice({ transport: inProcessTransport({ broker }) }).handle('log.write', (data) => void got.push(data))
  await service.listen()
  t.after(() => service.close().then(() => service.transport.close()).then(() => transport.close()))
  const gw = await startGateway(t, { gateways: [defineGateway({ path: '/ws' }).subscribe('log', forward('log.write'))], transport })
  const socket = await gw.connect()
  socket.emit('log', { line: 'x' })
  await eventually(() => got.length === 1, 2000, 'the event')
  assert.deepEqual(got, [{ line: 'x' }])
  assert.equal(await socket.quiet(100), true)
})

test('without a transport option, forwarded events use the process-wide in-process bus', async (t) => {
  const service = createMicroservice().handle('inproc.echo', (data) => ({ echoed: data }))
  await service.listen()
  t.after(() => service.close())
  const gw = await startGateway(t, { gateways: [defineGateway({ path: '/ws' }).subscribe('echo', forward('inproc.echo'))] })
  const socket = await gw.connect()
  assert.deepEqual((await socket.request('echo', 5)).data, { echoed: 5 })
})
