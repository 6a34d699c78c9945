import assert from 'node:assert/strict'
import { test } from 'node:test'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { createGateway, defineGateway, silentLogger } from '../src/index.js'
import { rawUpgrade } from './helpers/raw-upgrade.js'
import { eventually, startGateway } from './helpers/start-gateway.js'
import { TestSocket } from './helpers/test-socket.js'

test('close() lets in-flight handlers finish, then closes every socket with 1001', async (t) => {
  let started = 0
  let finished = 0
  const gateway = defineGateway({ path: '/ws' })
    .subscribe('slow', async (ms: number) => {
      started++
      await new Promise((resolve) => setTimeout(resolve, ms))
      finished++
      return `slept ${ms}`
    })
    .onDisconnect(() => void 0)
  const gw = await startGateway(t, { gateways: [gateway] })
  const sockets = await Promise.all([gw.connect(), gw.connect(), gw.connect()])
  const replies = sockets.map((socket, i) => socket.request('slow', 100 + i * 50))
  await eventually(() => started === 3, 5000, 'the three handlers running')
  const closing = gw.app.close()
  // The app owns this server (listen), so it stops accepting connections at once.
  await assert.rejects(rawUpgrade(gw.port, '/ws'), { code: 'ECONNREFUSED' })
  const answered = await Promise.all(replies)
  assert.deepEqual(answered.map((f) => f.data), ['slept 100', 'slept 150', 'slept 200'])
  for (const socket of sockets) assert.deepEqual(await socket.closed, { code: 1001, reason: 'Server shutting down' })
  await closing
  assert.equal(finished, 3)
  assert.equal(gw.app.connectionCount, 0)
  // close() is idempotent.
  await gw.app.close()
})

test('on a server the app does not own, upgrades during the drain get 503', async (t) => {
  let release!: () => void
  const gateway = defineGateway({ path: '/ws' }).subscribe('hold', () => new Promise<void>((resolve) => (release = resolve)))
  const http = createServer()
  const app = createGateway({ gateways: [gateway], logger: silentLogger }).attach(http)
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  const { port } = http.address() as { port: number }
  t.after(() => http.close())
  const socket = await TestSocket.connect(`ws://127.0.0.1:${port}/ws`)
  const held = socket.request('hold')
  await eventually(() => release !== undefined, 5000, 'the handler running')
  const closing = app.close()
  assert.equal((await rawUpgrade(port, '/ws')).status, 503)
  release()
  assert.equal((await held).data, null)
  await closing
  assert.equal(http.listenerCount('upgrade'), 0, 'detached from the server once closed')
})

test('a handler that outlives the timeout does not hold shutdown up', async (t) => {
  let running = false
  const gateway = defineGateway({ path: '/ws' }).subscribe('forever', () => ((running = true), new Promise(() => {})))
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  socket.emit('forever')
  await eventually(() => running, 5000, 'the handler running')
  const started = Date.now()
  await gw.app.close({ timeoutMs: 200 })
  assert.ok(Date.now() - started < 2000)
  assert.equal((await socket.closed).code, 1001)
})

test('a peer that never answers the close frame is terminated after closeTimeoutMs', async (t) => {
  const gateway = defineGateway({ path: '/ws' })
  const gw = await startGateway(t, { gateways: [gateway], closeTimeoutMs: 300 })
  const socket = await gw.connect()
  socket.ws.pause() // never reads the close frame, so never answers it
  const started = Date.now()
  await gw.app.close({ timeoutMs: 0 })
  assert.ok(Date.now() - started < 3000, 'shutdown bounded by the close timeout')
  assert.equal(gw.app.connectionCount, 0)
})
