import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineGateway, GatewayError, Subscribe } from '../src/index.js'
import { eventually, startGateway } from './helpers/start-gateway.js'

test('$ping is answered before any guard or handler, also while the app drains; without an id it gets nothing', async (t) => {
  let handled = 0
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  const gateway = defineGateway({ path: '/ws' })
    .subscribe('echo', { guards: [() => false] }, (data) => (handled++, data))
    .subscribe('hold', () => held)
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  assert.deepEqual(await socket.request('$ping'), { event: '$ping', data: null, id: 1 })
  assert.equal((await socket.request('echo', 1)).error?.code, 'FORBIDDEN', 'guards still guard application events')
  socket.sendRaw(JSON.stringify({ event: '$ping' }))
  socket.sendRaw(JSON.stringify({ event: '$nope', id: 'x' }))
  assert.deepEqual(await socket.next((f) => f.id === 'x'), { event: 'error', id: 'x', error: { code: 'UNKNOWN_EVENT', message: 'Unknown event "$nope"' } })
  // Frames are answered in order: the ping without an id, sent before $nope, would be here by now.
  assert.deepEqual(socket.frames, [], 'the ping without an id was not answered')

  const holding = socket.request('hold')
  await eventually(() => gw.app.dispatcher.inflight === 1, 5000, 'the held handler in flight')
  const closing = gw.app.close({ timeoutMs: 10_000 }) // drains until the held handler ends
  socket.sendRaw(JSON.stringify({ event: 'echo', data: 2, id: 'late' }))
  socket.sendRaw(JSON.stringify({ event: '$ping', id: 'alive?' }))
  assert.equal((await socket.next((f) => f.id === 'late')).error?.code, 'UNAVAILABLE')
  assert.deepEqual(await socket.next((f) => f.id === 'alive?'), { event: '$ping', data: null, id: 'alive?' })
  release()
  assert.equal((await holding).data, null)
  await closing
  assert.equal(handled, 0)
})

test('event names starting with "$" are reserved: the builder and @Subscribe refuse them', () => {
  const refused = (error: unknown) => error instanceof GatewayError && error.code === 'CONFIG_INVALID' && /reserved for the protocol/.test(error.message)
  assert.throws(() => defineGateway({ path: '/ws' }).subscribe('$ping', () => 1), refused)
  assert.throws(() => {
    class Sneaky {
      @Subscribe('$cancel') cancel() {}
    }
    return Sneaky
  }, refused)
})
