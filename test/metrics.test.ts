import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { Registry } from 'prom-client'
import {
  createGateway,
  defineGateway,
  healthHandler,
  inMemoryAdapter,
  silentLogger,
  WsError,
  type Adapter,
  type BrokerStateListener,
  type ReportsBrokerState,
} from '../src/index.js'
import { metricsHandler, prometheusObserver } from '../src/metrics/index.js'
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text.js'
import { rawUpgrade } from './helpers/raw-upgrade.js'
import { TestSocket } from './helpers/test-socket.js'
import { eventually } from './helpers/start-gateway.js'

/** The in-memory adapter, plus a broker state it reports like a Redis or NATS adapter would. */
function reportingAdapter(): Adapter & ReportsBrokerState & { set(state: Parameters<BrokerStateListener>[1]): void } {
  const inner = inMemoryAdapter()
  let listener: BrokerStateListener | undefined
  return {
    attach: (namespace) => inner.attach(namespace),
    close: () => inner.close(),
    reportBrokerStateTo(l) {
      listener = l
      l('cluster:test', 'connecting')
    },
    set: (state) => listener?.('cluster:test', state),
  }
}

test('/metrics scraped over HTTP moves with the traffic; /health follows brokers and drain', async (t) => {
  const registry = new Registry()
  const metrics = prometheusObserver({ registry })
  const adapter = reportingAdapter()
  const chat = defineGateway({ path: '/ws', connectionGuards: [(h) => (h.headers.authorization === 'Bearer ok' ? { id: 'u1' } : null)] })
    .subscribe('echo', (data: unknown) => data)
    .subscribe('slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      return 'done'
    })
    .subscribe('fail', () => {
      throw new WsError('NOT_ALLOWED', 'no')
    })
    .subscribe('flood', (_data: unknown, client) => {
      for (let i = 0; i < 5; i++) client.emit('tick', i)
    })
  const app = createGateway({ gateways: [chat], logger: silentLogger, observers: [metrics], adapter, heartbeat: false, outbox: { maxFrames: 3 } })
  const serveMetrics = metricsHandler(registry)
  const serveHealth = healthHandler(app)
  const http = createServer((req, res) => {
    if (req.url === '/metrics') return serveMetrics(req, res)
    if (req.url === '/health') return serveHealth(req, res)
    res.writeHead(404).end()
  })
  app.attach(http)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo
  t.after(async () => {
    await app.close({ timeoutMs: 1000 })
    await new Promise((resolve) => http.close(resolve))
  })
  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/)
    return parsePrometheusText(await response.text())
  }
  const health = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/health`)
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }
  const ws = { gateway: '/ws' }

  assert.equal((await health()).status, 503, 'the broker is still connecting')
  adapter.set('connected')
  assert.deepEqual(await health(), { status: 200, body: { status: 'ready', ready: true, draining: false, connections: 0, brokers: { 'cluster:test': 'connected' } } })

  const before = await scrape()
  assert.equal(sampleValue(before, 'gangway_frames_received_total', ws), undefined)

  const a = await TestSocket.connect(`ws://127.0.0.1:${port}/ws`, { headers: { authorization: 'Bearer ok' } })
  const b = await TestSocket.connect(`ws://127.0.0.1:${port}/ws`, { headers: { authorization: 'Bearer ok' } })
  t.after(() => {
    a.ws.terminate()
    b.ws.terminate()
  })
  assert.equal((await rawUpgrade(port, '/ws')).status, 401)
  for (let i = 0; i < 10; i++) assert.equal((await a.request('echo', { i })).data.i, i)
  assert.equal((await a.request('slow')).data, 'done')
  assert.equal((await a.request('fail')).error?.code, 'NOT_ALLOWED')
  assert.equal((await a.request('nope')).error?.code, 'UNKNOWN_EVENT')

  let samples = await scrape()
  assert.equal(sampleValue(samples, 'gangway_connections', { ...ws, namespace: '/' }), 2)
  assert.equal(sampleValue(samples, 'gangway_connections_opened_total', ws), 2)
  assert.equal(sampleValue(samples, 'gangway_upgrades_rejected_total', { ...ws, status: '401' }), 1)
  assert.equal(sampleValue(samples, 'gangway_frames_received_total', ws), 13)
  assert.ok(sampleValue(samples, 'gangway_received_bytes_total', ws)! >= 13 * 20)
  assert.equal(sampleValue(samples, 'gangway_frames_sent_total', ws), 13)
  assert.ok(sampleValue(samples, 'gangway_sent_bytes_total', ws)! > 13 * 20)
  assert.ok(sampleValue(samples, 'gangway_socket_writes_total', ws)! <= 13)
  assert.equal(sampleValue(samples, 'gangway_messages_handled_total', { ...ws, event: 'echo', outcome: 'ok' }), 10)
  assert.equal(sampleValue(samples, 'gangway_messages_handled_total', { ...ws, event: 'fail', outcome: 'NOT_ALLOWED' }), 1)
  assert.equal(sampleValue(samples, 'gangway_handler_duration_seconds_count', { ...ws, event: 'echo' }), 10)
  assert.equal(sampleValue(samples, 'gangway_handler_duration_seconds_count', { ...ws, event: 'slow' }), 1)
  assert.ok(sampleValue(samples, 'gangway_handler_duration_seconds_sum', { ...ws, event: 'slow' })! >= 0.015)
  assert.equal(sampleValue(samples, 'gangway_handler_duration_seconds_bucket', { ...ws, event: 'slow', le: '0.01' }), 0)
  assert.equal(sampleValue(samples, 'gangway_errors_total', { ...ws, code: 'NOT_ALLOWED' }), 1)
  assert.equal(sampleValue(samples, 'gangway_errors_total', { ...ws, code: 'UNKNOWN_EVENT' }), 1)
  assert.equal(sampleValue(samples, 'gangway_broker_up', { component: 'cluster:test' }), 1)

  // A handler that queues more than the outbox holds: 1013 and an overflow counted.
  b.emit('flood')
  assert.equal((await b.closed).code, 1013)
  await eventually(() => app.connectionCount === 1, 5000, 'the flooded connection to go')
  samples = await scrape()
  assert.equal(sampleValue(samples, 'gangway_outbox_overflows_total', ws), 1)
  assert.equal(sampleValue(samples, 'gangway_connections_closed_total', { ...ws, code: '1013' }), 1)
  assert.equal(sampleValue(samples, 'gangway_connections', { ...ws, namespace: '/' }), 1)

  // The broker drops and comes back: health follows, a reconnect is counted.
  adapter.set('reconnecting')
  assert.deepEqual((await health()).body.status, 'degraded')
  assert.equal((await health()).status, 503)
  samples = await scrape()
  assert.equal(sampleValue(samples, 'gangway_broker_up', { component: 'cluster:test' }), 0)
  assert.equal(sampleValue(samples, 'gangway_broker_state', { component: 'cluster:test', state: 'reconnecting' }), 1)
  adapter.set('connected')
  samples = await scrape()
  assert.equal(sampleValue(samples, 'gangway_broker_reconnects_total', { component: 'cluster:test' }), 1)
  assert.equal((await health()).status, 200)

  // Draining: not ready, still answering.
  const closing = app.close({ timeoutMs: 1000 })
  const draining = await health()
  assert.equal(draining.status, 503)
  assert.equal(draining.body.status, 'draining')
  await closing
  assert.equal((await a.closed).code, 1001)
})

test('two observers on one registry share the metrics instead of throwing', () => {
  const registry = new Registry()
  const first = prometheusObserver({ registry })
  const second = prometheusObserver({ registry })
  first.frameReceived('/ws', 10)
  second.frameReceived('/ws', 5)
  return registry.getSingleMetricAsString('gangway_received_bytes_total').then((text) => {
    assert.match(text, /gangway_received_bytes_total\{gateway="\/ws"\} 15/)
  })
})
