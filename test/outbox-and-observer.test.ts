import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineGateway, type Client, type GatewayObserver } from '../src/index.js'
import { startGateway } from './helpers/start-gateway.js'

function recorder() {
  const calls: Array<[string, ...unknown[]]> = []
  const observer: GatewayObserver = new Proxy({} as GatewayObserver, {
    get: (_target, hook: string) => (...args: unknown[]) => void calls.push([hook, ...args]),
  })
  return { calls, observer, of: (hook: string) => calls.filter(([name]) => name === hook).map(([, ...args]) => args) }
}

const gateway = defineGateway({ path: '/ws' })
  .subscribe('echo', (data) => data)
  .subscribe('burst', (count: number, client: Client) => {
    for (let i = 0; i < count; i++) client.emit('item', i)
    return 'done'
  })

test('frames ready together go out in one write', async (t) => {
  const { observer, of } = recorder()
  const gw = await startGateway(t, { gateways: [gateway], observers: [observer] })
  const socket = await gw.connect()
  await socket.request('burst', 10)
  const writes = of('framesSent') as Array<[string, number, number]>
  assert.equal(writes.length, 1, 'ten pushes and the reply: one write')
  assert.equal(writes[0]![1], 11)
  assert.equal(socket.frames.filter((f) => f.event === 'item').length, 10)

  // Sixteen requests sent back to back mostly arrive in one read; their replies share writes.
  for (let i = 0; i < 16; i++) socket.ws.send(JSON.stringify({ event: 'echo', data: i, id: `b${i}` }))
  await socket.next((f) => f.id === 'b15')
  const after = (of('framesSent') as Array<[string, number, number]>).slice(1)
  assert.ok(after.length < 16, `16 replies took ${after.length} writes`)
})

test('observers see connections, frames, outcomes and rejections; a throwing observer breaks nothing', async (t) => {
  const { observer, of } = recorder()
  const broken: GatewayObserver = {
    handled() {
      throw new Error('observer bug')
    },
  }
  const gw = await startGateway(t, { gateways: [gateway], observers: [broken, observer] })
  const socket = await gw.connect()
  assert.equal((await socket.request('echo', 1)).data, 1)
  await socket.request('nope')
  socket.sendRaw('{')
  await socket.next((f) => f.error?.code === 'BAD_FRAME')
  await socket.close()
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.deepEqual(of('connectionOpened'), [['/ws', '/']])
  assert.deepEqual(of('connectionClosed'), [['/ws', '/', 1005]])
  assert.equal(of('frameReceived').length, 3)
  const [handled] = of('handled') as Array<[string, string, string, number]>
  assert.deepEqual(handled!.slice(0, 3), ['/ws', 'echo', 'ok'])
  assert.ok(handled![3] >= 0)
  assert.deepEqual(of('rejected'), [['/ws', 'UNKNOWN_EVENT'], ['/ws', 'BAD_FRAME']])
})
