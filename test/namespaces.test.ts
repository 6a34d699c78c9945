import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineGateway, type Client } from '../src/index.js'
import { startGateway } from './helpers/start-gateway.js'

const join = async (room: string, client: Client) => {
  await client.join(room)
  return room
}

test('gateways in different namespaces share nothing: rooms, users, broadcasts', async (t) => {
  const guard = () => ({ id: 'same-user' })
  const chat = defineGateway({ path: '/chat', connectionGuards: [guard] }).subscribe('join', join)
  const admin = defineGateway({ path: '/admin', namespace: 'admin', connectionGuards: [guard] })
    .subscribe('join', join)
    .subscribe('whisper', (_d, client) => client.server.to('general').emit('whisper', 'secret'))
  const gw = await startGateway(t, { gateways: [chat, admin] })
  const user = await gw.connect('/chat')
  const staff = await gw.connect('/admin')
  await user.request('join', 'general')
  await staff.request('join', 'general')

  gw.app.server().to('general').emit('news', 'public')
  assert.deepEqual((await user.nextEvent('news')).data, 'public')
  assert.equal(await staff.quiet(100, (f) => f.event === 'news'), true)

  await staff.request('whisper')
  assert.deepEqual((await staff.nextEvent('whisper')).data, 'secret')
  assert.equal(await user.quiet(100, (f) => f.event === 'whisper'), true)

  gw.app.server('admin').toUser('same-user').emit('dm', 1)
  assert.equal((await staff.nextEvent('dm')).data, 1)
  assert.equal(await user.quiet(100, (f) => f.event === 'dm'), true)

  gw.app.server('/').emit('all', 1)
  assert.equal(await staff.quiet(100, (f) => f.event === 'all'), true)
  assert.equal(gw.app.server().size, 1)
  assert.equal(gw.app.server('admin').size, 1)
})

test('gateways without a namespace share the default registry', async (t) => {
  const a = defineGateway({ path: '/a' }).subscribe('join', join)
  const b = defineGateway({ path: '/b' }).subscribe('join', join)
  const gw = await startGateway(t, { gateways: [a, b] })
  const onA = await gw.connect('/a')
  const onB = await gw.connect('/b')
  await onA.request('join', 'r')
  await onB.request('join', 'r')
  gw.app.server().to('r').emit('hi', 1)
  await onA.nextEvent('hi')
  await onB.nextEvent('hi')
  assert.equal(gw.app.server().roomSize('r'), 2)
})

test('a connection reaches only the handlers of the gateway it upgraded into', async (t) => {
  const publicGw = defineGateway({ path: '/public' }).subscribe('hello', () => 'hi')
  const adminGw = defineGateway({ path: '/admin', namespace: 'admin' }).subscribe('purge', () => 'purged')
  const gw = await startGateway(t, { gateways: [publicGw, adminGw] })
  const socket = await gw.connect('/public')
  assert.equal((await socket.request('purge')).error?.code, 'UNKNOWN_EVENT')
  assert.equal((await socket.request('hello')).data, 'hi')
})
