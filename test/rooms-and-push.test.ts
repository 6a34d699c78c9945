import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineGateway, type Client, type Server } from '../src/index.js'
import { eventually, startGateway } from './helpers/start-gateway.js'
import type { TestSocket } from './helpers/test-socket.js'

const gateway = defineGateway({ path: '/ws', connectionGuards: [(h) => ({ id: h.query.get('user') ?? 'anon' })] })
  .subscribe('join', async (room: string, client: Client) => {
    await client.join(room)
    return [...client.rooms]
  })
  .subscribe('leave', async (room: string, client: Client) => {
    await client.leave(room)
    return [...client.rooms]
  })
  .subscribe('id', (_d, client) => client.id)
  .subscribe('shout', ({ room, text }: { room: string; text: string }, client) => {
    client.server.to(room).except(client).emit('said', text)
  })

let barriers = 0

/**
 * How many `event` frames each socket got: waits until each has at least the `expected` count, then pushes a
 * barrier to everyone and waits for it — frames to one socket arrive in order, so a stray extra copy of `event`
 * would have arrived before the barrier. No time window: exact whatever the machine's load.
 */
async function received(server: Server, sockets: TestSocket[], event: string, expected: number[]): Promise<number[]> {
  const count = (socket: TestSocket) => socket.frames.filter((f) => f.event === event).length
  await Promise.all(sockets.map((socket, i) => eventually(() => count(socket) >= expected[i]!, 5000, `${expected[i]} "${event}" on socket ${i}`)))
  const barrier = ++barriers
  server.emit('barrier', barrier)
  await Promise.all(sockets.map((socket) => socket.next((f) => f.event === 'barrier' && f.data === barrier)))
  return sockets.map(count)
}

test('join/leave and server.to(room) reach exactly the members, once each', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const [a, b, c] = [await gw.connect('/ws?user=a'), await gw.connect('/ws?user=b'), await gw.connect('/ws?user=c')]
  assert.deepEqual((await a.request('join', 'red')).data, ['red'])
  assert.deepEqual((await a.request('join', 'blue')).data, ['red', 'blue'])
  await b.request('join', 'red')
  await c.request('join', 'blue')
  const server = gw.app.server()
  server.to('red').emit('news', 1)
  assert.deepEqual(await received(server, [a, b, c], 'news', [1, 1, 0]), [1, 1, 0])
  // A connection in both rooms gets a message to both rooms once.
  server.to(['red', 'blue']).emit('both', 2)
  assert.deepEqual(await received(server, [a, b, c], 'both', [1, 1, 1]), [1, 1, 1])
  assert.deepEqual((await a.request('leave', 'red')).data, ['blue'])
  server.to('red').emit('after-leave', 3)
  assert.deepEqual(await received(server, [a, b, c], 'after-leave', [0, 1, 0]), [0, 1, 0])
  assert.equal(server.roomSize('red'), 1)
})

test('toUser reaches every connection of a user; toConnection exactly one; emit everyone', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const sockets = [await gw.connect('/ws?user=ada'), await gw.connect('/ws?user=ada'), await gw.connect('/ws?user=bob')]
  const server = gw.app.server()
  server.toUser('ada').emit('dm', 'hi ada')
  assert.deepEqual(await received(server, sockets, 'dm', [1, 1, 0]), [1, 1, 0])
  const bobId = (await sockets[2]!.request('id')).data as string
  server.toConnection(bobId).emit('direct', 'just you')
  assert.deepEqual(await received(server, sockets, 'direct', [0, 0, 1]), [0, 0, 1])
  server.emit('all', 'everyone')
  assert.deepEqual(await received(server, sockets, 'all', [1, 1, 1]), [1, 1, 1])
  assert.deepEqual(sockets[0]!.frames.find((f) => f.event === 'all'), { event: 'all', data: 'everyone' })
})

test('except() leaves out a room or a client', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const [a, b, c] = [await gw.connect('/ws?user=a'), await gw.connect('/ws?user=b'), await gw.connect('/ws?user=c')]
  await a.request('join', 'lobby')
  await b.request('join', 'lobby')
  await c.request('join', 'lobby')
  await c.request('join', 'muted')
  const server = gw.app.server()
  a.emit('shout', { room: 'lobby', text: 'hello' })
  await a.request('id') // a's frames are handled in order: the shout's broadcast went out before this reply
  assert.deepEqual(await received(server, [a, b, c], 'said', [0, 1, 1]), [0, 1, 1], 'the sender is excluded')
  gw.app.server().to('lobby').except('muted').emit('filtered', 1)
  assert.deepEqual(await received(server, [a, b, c], 'filtered', [1, 1, 0]), [1, 1, 0])
  gw.app.server().except('muted').emit('everyone-but', 1)
  assert.deepEqual(await received(server, [a, b, c], 'everyone-but', [1, 1, 0]), [1, 1, 0])
})

test('push works from any service outside a handler, and a broadcast is encoded once', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const sockets: TestSocket[] = []
  for (let i = 0; i < 25; i++) {
    const socket = await gw.connect(`/ws?user=u${i}`)
    await socket.request('join', 'stream')
    sockets.push(socket)
  }
  let serializations = 0
  const payload = {
    toJSON() {
      serializations++
      return { tick: 1 }
    },
  }
  // A "service" holding only the server, as after app start-up.
  const notifications = { server: gw.app.server(), publish: (data: unknown) => notifications.server.to('stream').emit('tick', data) }
  notifications.publish(payload)
  const counts = await received(gw.app.server(), sockets, 'tick', sockets.map(() => 1))
  assert.deepEqual(counts, sockets.map(() => 1))
  assert.equal(serializations, 1, 'one JSON encoding for 25 recipients')
  assert.deepEqual(sockets[3]!.frames.find((f) => f.event === 'tick')?.data, { tick: 1 })
})

test('push arguments are checked with coded errors', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const server = gw.app.server()
  assert.throws(() => server.emit('', 1), { code: 'INVALID_ARGUMENT' })
  assert.throws(() => server.to(42 as never), { code: 'INVALID_ARGUMENT' })
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  assert.throws(() => server.emit('x', cyclic), { code: 'INVALID_ARGUMENT' })
  assert.throws(() => gw.app.server('nowhere'), { code: 'INVALID_ARGUMENT' })
})

test('disconnectUser closes every connection of a user', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const [a1, a2, b] = [await gw.connect('/ws?user=ada'), await gw.connect('/ws?user=ada'), await gw.connect('/ws?user=bob')]
  assert.equal(gw.app.server().disconnectUser('ada', 4003, 'Banned'), 2)
  assert.deepEqual(await a1.closed, { code: 4003, reason: 'Banned' })
  assert.deepEqual(await a2.closed, { code: 4003, reason: 'Banned' })
  assert.equal((await b.request('id')).error, undefined)
})
