import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineGateway } from '../src/index.js'
import { startGateway } from './helpers/start-gateway.js'

const gateway = defineGateway({ path: '/ws' })
  .subscribe('nothing', () => undefined)
  .subscribe('value', (data: number) => data * 2)
  .subscribe('promise', async (data: number) => {
    await new Promise((resolve) => setTimeout(resolve, 5))
    return { doubled: data * 2 }
  })
  .subscribe('null', () => null)
  .subscribe('throws', () => {
    throw new Error('nope')
  })
  .subscribe('unserializable', () => ({ big: 10n }))

test('nothing returned: no frame without an id, a data:null reply with one', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  socket.emit('nothing')
  assert.equal(await socket.quiet(100), true)
  assert.deepEqual(await socket.request('nothing'), { event: 'nothing', data: null, id: 1 })
})

test('a value (or a promise of one) is the reply on the same event', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  assert.deepEqual(await socket.request('value', 21), { event: 'value', data: 42, id: 1 })
  assert.deepEqual(await socket.request('promise', 2), { event: 'promise', data: { doubled: 4 }, id: 2 })
  assert.deepEqual(await socket.request('null'), { event: 'null', data: null, id: 3 })
  // Without an id a returned value is still sent, as a push on the same event.
  socket.emit('value', 5)
  assert.deepEqual(await socket.nextEvent('value'), { event: 'value', data: 10 })
})

test('string ids are echoed; each request gets exactly one answer', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  const ids = ['a', 'b-2', 'ü', '']
  for (const id of ids) socket.sendRaw(JSON.stringify({ event: 'value', data: 1, id }))
  for (const id of ids) assert.deepEqual(await socket.next((f) => f.id === id), { event: 'value', data: 2, id })
  assert.equal(await socket.quiet(100), true, 'no second answer')
})

test('a throwing handler gets an error frame and the socket and other clients carry on', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const [a, b] = [await gw.connect(), await gw.connect()]
  assert.equal((await a.request('throws')).error?.code, 'INTERNAL')
  assert.equal((await a.request('unserializable')).error?.code, 'INTERNAL')
  assert.equal((await a.request('value', 1)).data, 2)
  assert.equal((await b.request('value', 3)).data, 6)
  assert.equal(gw.app.connectionCount, 2)
})

test('replies keep request order for synchronous handlers', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  for (let i = 0; i < 200; i++) socket.sendRaw(JSON.stringify({ event: 'value', data: i, id: `r${i}` }))
  await socket.next((f) => f.id === 'r199')
  const order = socket.frames.map((f) => f.id)
  assert.deepEqual(order, Array.from({ length: 199 }, (_, i) => `r${i}`))
})
