import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import WebSocket from 'ws'
import { defineGateway, type Client } from '../src/index.js'
import { rawUpgrade } from './helpers/raw-upgrade.js'
import { eventually, startGateway } from './helpers/start-gateway.js'

test('onConnect runs after registration; onDisconnect while still registered, then removal', async (t) => {
  const log: string[] = []
  let disconnected!: () => void
  const done = new Promise<void>((resolve) => (disconnected = resolve))
  const gateway = defineGateway({ path: '/ws' })
    .onConnect(async (client: Client) => {
      log.push(`connect: registered=${client.server.connection(client.id) === client}`)
      await client.join('lobby')
    })
    .onConnect((client) => void log.push(`second connect hook, rooms=${[...client.rooms]}`))
    .onDisconnect(async (client) => {
      await new Promise((resolve) => setTimeout(resolve, 10))
      log.push(`disconnect: registered=${client.server.connection(client.id) === client} rooms=${[...client.rooms]} lobby=${client.server.roomSize('lobby')}`)
      disconnected()
    })
    .subscribe('rooms', (_d, client) => [...client.rooms])
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  // Frames wait until every onConnect hook has finished.
  assert.deepEqual((await socket.request('rooms')).data, ['lobby'])
  await socket.close()
  await done
  await eventually(() => gw.app.server().size === 0, 2000, 'removal')
  assert.equal(gw.app.server().roomSize('lobby'), 0)
  assert.deepEqual(log, ['connect: registered=true', 'second connect hook, rooms=lobby', 'disconnect: registered=true rooms=lobby lobby=1'])
})

test('an onConnect hook that fails closes the connection with 1011', async (t) => {
  const gateway = defineGateway({ path: '/ws' }).onConnect(() => {
    throw new Error('db down')
  })
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  assert.deepEqual(await socket.closed, { code: 1011, reason: 'Internal error' })
})

test('connection ids carry the node id and are never reused', async (t) => {
  const gateway = defineGateway({ path: '/ws' }).subscribe('id', (_d, client) => client.id)
  const gw = await startGateway(t, { gateways: [gateway], nodeId: 'node_a' })
  const ids = new Set<string>()
  for (let i = 0; i < 20; i++) {
    const socket = await gw.connect()
    const id = (await socket.request('id')).data as string
    assert.match(id, /^node_a-[0-9a-z]+$/)
    assert.ok(!ids.has(id), `id ${id} reused`)
    ids.add(id)
    await socket.close()
  }
})

test('the hello frame states the protocol', async (t) => {
  const gateway = defineGateway({ path: '/ws' }).subscribe('echo', (d) => d)
  const gw = await startGateway(t, { gateways: [gateway], hello: true })
  const socket = await gw.connect()
  const hello = await socket.nextEvent('hello')
  assert.equal(hello.data.protocol, 'gangway.v1')
  assert.match(hello.data.connectionId, /-0$/)
  assert.deepEqual(hello.data.events, ['echo'])
  assert.equal(hello.data.maxPayload, 1024 * 1024)
})

test('the gangway.v1 subprotocol is echoed; nothing else offered is (a token riding the header)', async (t) => {
  const gw = await startGateway(t, { gateways: [defineGateway({ path: '/ws' })] })
  const offered = new WebSocket(gw.url(), ['token.abc123', 'gangway.v1'])
  await once(offered, 'open')
  assert.equal(offered.protocol, 'gangway.v1')
  offered.terminate()
  const tokenOnly = await rawUpgrade(gw.port, '/ws', { 'Sec-WebSocket-Protocol': 'token.abc123' })
  assert.equal(tokenOnly.status, 101)
  assert.doesNotMatch(tokenOnly.head, /token\.abc123|Sec-WebSocket-Protocol/i, 'the token is never echoed')
})
