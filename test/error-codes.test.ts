import assert from 'node:assert/strict'
import { test } from 'node:test'
import { z } from 'zod'
import { defineGateway, WsError } from '../src/index.js'
import { captureLogger } from './helpers/capture-logger.js'
import { eventually, startGateway } from './helpers/start-gateway.js'

const gateway = defineGateway({ path: '/ws' })
  .subscribe('echo', (data) => data)
  .subscribe('join', { schema: z.object({ room: z.string().min(1) }) }, ({ room }) => ({ room }))
  .subscribe('secret', { guards: [({ client }) => client.user === 'admin'] }, () => 'the secret')
  .subscribe('boom', () => {
    throw new Error('connection string postgres://admin:hunter2@db/prod')
  })
  .subscribe('async-boom', async () => {
    throw new TypeError('cannot read properties of undefined (reading "x")')
  })
  .subscribe('not-member', () => {
    throw new WsError('NOT_A_MEMBER', 'Join the room first')
  })

test('BAD_FRAME: not JSON, not an object, bad fields, binary', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  socket.sendRaw('not json')
  assert.deepEqual(await socket.next(), { event: 'error', error: { code: 'BAD_FRAME', message: 'Frame is not valid JSON' } })
  socket.sendRaw('[1,2,3]')
  assert.equal((await socket.next()).error?.code, 'BAD_FRAME')
  socket.sendRaw('{"event":42,"id":5}')
  const badEvent = await socket.next()
  assert.equal(badEvent.error?.code, 'BAD_FRAME')
  assert.equal(badEvent.id, 5, 'a readable id is echoed')
  assert.equal(badEvent.event, 'error')
  socket.sendRaw(Buffer.from('{"event":"echo"}'), true)
  assert.match((await socket.next()).error?.message ?? '', /Binary frames/)
  // The connection is still usable.
  assert.deepEqual(await socket.request('echo', 'still here'), { event: 'echo', data: 'still here', id: 1 })
})

test('UNKNOWN_EVENT answers on the "error" event with the request id', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  const frame = await socket.request('nope', {})
  assert.deepEqual(frame, { event: 'error', id: 1, error: { code: 'UNKNOWN_EVENT', message: 'Unknown event "nope"' } })
  socket.emit('__proto__', {})
  assert.equal((await socket.next()).error?.code, 'UNKNOWN_EVENT')
})

test('INVALID_PAYLOAD names the field that failed', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  const frame = await socket.request('join', { room: 42 })
  assert.equal(frame.event, 'join')
  assert.equal(frame.error?.code, 'INVALID_PAYLOAD')
  assert.match(frame.error!.message, /^data\.room: /)
  assert.equal((await socket.request('join', undefined)).error?.code, 'INVALID_PAYLOAD')
  assert.deepEqual((await socket.request('join', { room: 'lobby' })).data, { room: 'lobby' })
})

test('FORBIDDEN when a message guard says no', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  assert.deepEqual(await socket.request('secret'), { event: 'secret', id: 1, error: { code: 'FORBIDDEN', message: 'Forbidden' } })
})

test('INTERNAL leaks neither the message nor a stack, and the log gets both', async (t) => {
  const logger = captureLogger()
  const gw = await startGateway(t, { gateways: [gateway], logger })
  const socket = await gw.connect()
  for (const event of ['boom', 'async-boom']) {
    const frame = await socket.request(event)
    assert.deepEqual(frame.error, { code: 'INTERNAL', message: 'Internal error' })
    assert.doesNotMatch(JSON.stringify(frame), /hunter2|postgres|undefined|at |\.js/)
  }
  const warnings = logger.entries.filter((e) => e.level === 'warn')
  assert.equal(warnings.length, 2)
  assert.match(logger.text(), /hunter2/)
  assert.match(String((warnings[0]!.obj.err as Error).stack), /error-codes\.test/)
  // Another frame on the same socket is served normally.
  assert.equal((await socket.request('echo', 1)).data, 1)
})

test('a WsError reaches the wire as is', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  assert.deepEqual((await socket.request('not-member')).error, { code: 'NOT_A_MEMBER', message: 'Join the room first' })
})

test('RATE_LIMITED past the burst, then 1008 for sustained abuse', async (t) => {
  const gw = await startGateway(t, {
    gateways: [gateway],
    rateLimit: { messagesPerSecond: 1, burst: 5, closeAfterRejectionsPerSecond: 20 },
  })
  const socket = await gw.connect()
  for (let i = 0; i < 8; i++) socket.sendRaw(JSON.stringify({ event: 'echo', data: i, id: i }))
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => socket.next((f) => f.id === i)))
  assert.deepEqual(answers.slice(0, 5).map((f) => f.data), [0, 1, 2, 3, 4])
  for (const frame of answers.slice(5)) assert.deepEqual(frame.error, { code: 'RATE_LIMITED', message: 'Too many messages; slow down' })
  for (let i = 0; i < 40; i++) socket.emit('echo', i)
  const { code, reason } = await socket.closed
  assert.equal(code, 1008)
  assert.equal(reason, 'Rate limit exceeded')
})

test('a malformed frame is rate limited too', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway], rateLimit: { messagesPerSecond: 1, burst: 1 } })
  const socket = await gw.connect()
  socket.sendRaw('{')
  socket.sendRaw('{')
  assert.equal((await socket.next()).error?.code, 'BAD_FRAME')
  assert.equal((await socket.next()).error?.code, 'RATE_LIMITED')
})

test('UNAVAILABLE for frames that arrive while the app drains', async (t) => {
  let release!: () => void
  const slow = defineGateway({ path: '/ws' })
    .subscribe('slow', () => new Promise<string>((resolve) => (release = () => resolve('done'))))
    .subscribe('echo', (data) => data)
  const gw = await startGateway(t, { gateways: [slow] })
  const socket = await gw.connect()
  const pending = socket.request('slow')
  await eventually(() => release !== undefined, 5000, 'the slow handler running')
  const closing = gw.app.close({ timeoutMs: 5000 })
  const refused = await socket.request('echo', 1)
  assert.deepEqual(refused.error, { code: 'UNAVAILABLE', message: 'Server is shutting down' })
  release()
  assert.equal((await pending).data, 'done')
  assert.equal((await socket.closed).code, 1001)
  await closing
})
