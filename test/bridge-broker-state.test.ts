import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import { createMicroservice, defineGateway, forward, healthReport, silentLogger, type BrokerState, type Client, type GatewayObserver } from '../src/index.js'
import { brokerSkipReason, brokerUrls, TcpProxy } from '../src/testing/index.js'
import { cleanUpBroker, createTestTransport, type TransportSpec } from './helpers/bridge-transports.js'
import { eventually, sleep, startGateway } from './helpers/start-gateway.js'

// The bridge transports report their broker connection as `bridge:<kind>`, like the cluster adapter:
// health turns not-ready (with the default `requireBrokers`) while the broker is cut and ready again
// once it is back, and the metrics observer sees every change. A gateway started while its broker is
// unreachable comes up, answers UNAVAILABLE, and starts working (requests and room pushes) once the
// broker appears — no restart. The gateway's broker connection goes through a TCP proxy the test
// controls; the service talks to the shared broker directly.

const kinds = ['amqp', 'nats', 'redis'] as const
const DEFAULT_PORT = { amqp: 5672, nats: 4222, redis: 6379 }

async function setUp(t: TestContext, kind: (typeof kinds)[number], refuseFirst: boolean) {
  const target = new URL(brokerUrls[kind])
  const proxy = await TcpProxy.start(target.hostname, Number(target.port) || DEFAULT_PORT[kind])
  t.after(() => proxy.close())
  if (refuseFirst) proxy.refuse()
  const prefix = `state-${kind}-${process.pid}-${randomBytes(3).toString('hex')}`
  const direct: TransportSpec = { kind, url: brokerUrls[kind], prefix }
  const proxied = new URL(target)
  proxied.port = String(proxy.port)

  const serviceTransport = createTestTransport(direct)
  const service = createMicroservice({ transport: serviceTransport, logger: silentLogger })
    .handle('state.echo', (n: number) => ({ n }))
    .handle('state.announce', (data: { room: string; text: string }, ctx) => {
      ctx.server.to(data.room).emit('announcement', data.text)
      return { sent: true }
    })
  await service.listen()
  const gatewayTransport = createTestTransport({ ...direct, url: proxied.toString() })
  t.after(async () => {
    await service.close()
    await serviceTransport.close()
    await gatewayTransport.close()
  })
  const states: BrokerState[] = []
  const observer: GatewayObserver = { brokerState: (component, state) => component === `bridge:${kind}` && states.push(state) }
  const gateway = defineGateway({ path: '/ws' })
    .subscribe('echo', forward('state.echo', { timeoutMs: 3000 }))
    .subscribe('announce', forward('state.announce', { timeoutMs: 3000 }))
    .subscribe('join', async (room: string, client: Client) => {
      await client.join(room)
      return room
    })
  const gw = await startGateway(t, { gateways: [gateway], transport: gatewayTransport, rateLimit: false, observers: [observer] })
  t.after(() => cleanUpBroker(direct))
  const component = `bridge:${kind}`
  const state = () => gw.app.brokers.get(component)
  return { proxy, gw, states, state, gatewayTransport }
}

for (const kind of kinds) {
  test(`${kind}: bridge broker state in health and metrics; not ready while cut, ready once back`, { skip: await brokerSkipReason(kind), timeout: 60_000 }, async (t) => {
    const { proxy, gw, states, state } = await setUp(t, kind, false)
    await gw.app.ready()
    await eventually(() => state() === 'connected', 10_000, 'bridge connected')
    assert.equal(healthReport(gw.app).ready, true)
    const socket = await gw.connect()
    assert.deepEqual((await socket.request('echo', 1)).data, { n: 1 })

    proxy.refuse()
    proxy.cut()
    await eventually(() => state() !== 'connected', 10_000, 'the cut noticed')
    const down = healthReport(gw.app)
    assert.equal(down.ready, false, 'not ready while the bridge broker is away (requireBrokers default)')
    assert.equal(down.status, 'degraded')
    assert.equal(down.brokers[`bridge:${kind}`], 'reconnecting')
    assert.equal(healthReport(gw.app, { requireBrokers: false }).ready, true, 'requireBrokers: false keeps it ready')
    assert.equal((await socket.request('echo', 2)).error?.code, 'UNAVAILABLE', 'refused at once while down')

    proxy.accept()
    await eventually(() => state() === 'connected', 15_000, 'reconnected')
    assert.equal(healthReport(gw.app).ready, true)
    const deadline = Date.now() + 10_000
    while ((await socket.request('echo', 3, 5000)).error !== undefined) {
      assert.ok(Date.now() < deadline, 'requests work again')
      await sleep(100)
    }
    assert.deepEqual(states.slice(0, 2), ['connecting', 'connected'], 'the observer saw the first connection')
    assert.ok(states.includes('reconnecting') && states.at(-1) === 'connected', `the observer saw the outage: ${states.join(' → ')}`)
  })

  test(`${kind}: a gateway started while its bridge broker is unreachable starts working once it appears`, { skip: await brokerSkipReason(kind), timeout: 60_000 }, async (t) => {
    const { proxy, gw, state } = await setUp(t, kind, true)
    const socket = await gw.connect()
    const refused = await socket.request('echo', 1, 8000)
    assert.equal(refused.error?.code, 'UNAVAILABLE', 'answered, not hung, while the broker is unreachable')
    await eventually(() => state() !== undefined, 5000, 'a state reported')
    assert.notEqual(state(), 'connected')
    assert.equal(healthReport(gw.app).ready, false)
    await sleep(1500) // several failed attempts in the background

    proxy.accept()
    await eventually(() => state() === 'connected', 15_000, 'connected once the broker appears')
    // No app.ready() here: that would retry opening the bridge itself; the app must do it on its own.
    const deadline = Date.now() + 10_000
    while ((await socket.request('echo', 2, 5000)).error !== undefined) {
      assert.ok(Date.now() < deadline, 'requests work once the broker appears')
      await sleep(100)
    }
    assert.deepEqual((await socket.request('echo', 3)).data, { n: 3 })
    // Pushes to rooms travel on the broadcast subscription, which the retry had to open too.
    assert.equal((await socket.request('join', 'r1')).data, 'r1')
    assert.deepEqual((await socket.request('announce', { room: 'r1', text: 'hi' })).data, { sent: true })
    assert.equal((await socket.nextEvent('announcement', 5000)).data, 'hi')
    assert.equal(await socket.quiet(300, (f) => f.event === 'announcement'), true, 'the push arrived once')
    assert.equal(healthReport(gw.app).ready, true)
    // The failed attempts left nothing behind: one connection per role (Redis: commands + subscriber).
    assert.equal(proxy.connections, kind === 'redis' ? 2 : 1, 'no extra broker connections from the retries')
  })
}
