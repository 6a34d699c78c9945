import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import WebSocket from 'ws'
import { defineGateway } from '../src/index.js'
import { eventually, startGateway } from './helpers/start-gateway.js'

const echo = defineGateway({ path: '/ws' }).subscribe('echo', (data) => data)

test('a frame over maxPayload closes the connection with 1009; others keep going', async (t) => {
  const gw = await startGateway(t, { gateways: [echo], limits: { maxPayload: 64 * 1024 } })
  const [big, bystander] = [await gw.connect(), await gw.connect()]
  const fits = JSON.stringify({ event: 'echo', data: 'x'.repeat(60 * 1024), id: 1 })
  big.sendRaw(fits)
  assert.equal((await big.next((f) => f.id === 1)).data.length, 60 * 1024)
  big.sendRaw(JSON.stringify({ event: 'echo', data: 'x'.repeat(64 * 1024), id: 2 }))
  assert.equal((await big.closed).code, 1009)
  assert.equal((await bystander.request('echo', 'ok')).data, 'ok')
})

test('the default maxPayload is 1 MiB', async (t) => {
  const gw = await startGateway(t, { gateways: [echo] })
  const socket = await gw.connect()
  socket.sendRaw('"' + 'x'.repeat(1024 * 1024) + '"')
  assert.equal((await socket.closed).code, 1009)
})

test('the heartbeat terminates a peer that stops answering pings, and keeps a live one', async (t) => {
  // One second between pings: the live peer shares this process, and a busy machine can keep a process off
  // the CPU for over 100 ms, longer than a shorter interval would give its pong.
  const gw = await startGateway(t, { gateways: [echo], heartbeat: { intervalMs: 1000 } })
  const live = await gw.connect()
  // A peer that never answers pings: a vanished client without a close frame looks like this.
  const dead = new WebSocket(gw.url(), { autoPong: false } as WebSocket.ClientOptions)
  await once(dead, 'open')
  const deadClosed = once(dead, 'close')
  await eventually(() => gw.app.connectionCount === 2, 2000, 'two connections')
  const [code] = (await deadClosed) as [number]
  assert.equal(code, 1006, 'terminated without a closing handshake')
  await eventually(() => gw.app.connectionCount === 1, 5000, 'registry back to one connection')
  assert.equal((await live.request('echo', 'alive')).data, 'alive')
})

test('ws rejects fragment floods (maxFragments) with 1008 or 1009, never a crash', async (t) => {
  const gw = await startGateway(t, { gateways: [echo], limits: { maxFragments: 16 } })
  const socket = await gw.connect()
  for (let i = 0; i < 32; i++) socket.ws.send('x', { fin: false })
  socket.ws.send('x', { fin: true })
  const { code } = await socket.closed
  assert.ok(code === 1008 || code === 1009, `closed with ${code}`)
  const other = await gw.connect()
  assert.equal((await other.request('echo', 1)).data, 1)
})
