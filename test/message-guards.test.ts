import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineGateway, WsError, type MessageGuard } from '../src/index.js'
import { startGateway } from './helpers/start-gateway.js'

test('global → gateway → handler, deduplicated, in that order, every time the event fires', async (t) => {
  const calls: string[] = []
  const tracer = (name: string): MessageGuard => () => (calls.push(name), true)
  const shared = tracer('shared')
  const global = tracer('global')
  const gatewayGuard = tracer('gateway')
  const handlerGuard = tracer('handler')
  const gateway = defineGateway({ path: '/ws', messageGuards: [gatewayGuard, shared] }).subscribe(
    'act',
    { guards: [shared, handlerGuard, global] },
    () => 'done',
  )
  const gw = await startGateway(t, { gateways: [gateway], messageGuards: [global, shared] })
  const socket = await gw.connect()
  assert.equal((await socket.request('act')).data, 'done')
  assert.deepEqual(calls, ['global', 'shared', 'gateway', 'handler'])
  await socket.request('act')
  assert.equal(calls.length, 8)
})

test('a guard sees event, data, id and client; async guards work; a thrown WsError is the answer', async (t) => {
  const seen: unknown[] = []
  const gateway = defineGateway({ path: '/ws' })
    .subscribe(
      'post',
      {
        guards: [
          async ({ event, data, id, client }) => {
            seen.push({ event, data, id, isClient: typeof client.emit === 'function' })
            await new Promise((resolve) => setTimeout(resolve, 5))
            return (data as { text?: string }).text !== 'spam'
          },
        ],
      },
      () => 'posted',
    )
    .subscribe(
      'muted',
      {
        guards: [
          () => {
            throw new WsError('MUTED', 'You are muted for 5 minutes')
          },
        ],
      },
      () => 'never',
    )
    .subscribe('truthy-is-not-enough', { guards: [(() => 'yes') as unknown as MessageGuard] }, () => 'never')
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  assert.equal((await socket.request('post', { text: 'hi' })).data, 'posted')
  assert.equal((await socket.request('post', { text: 'spam' })).error?.code, 'FORBIDDEN')
  assert.deepEqual(seen[0], { event: 'post', data: { text: 'hi' }, id: 1, isClient: true })
  assert.deepEqual((await socket.request('muted')).error, { code: 'MUTED', message: 'You are muted for 5 minutes' })
  assert.equal((await socket.request('truthy-is-not-enough')).error?.code, 'FORBIDDEN', 'only true lets a message through')
})
