import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createGateway, GatewayError, silentLogger } from '../src/index.js'
import { eventually, startGateway } from './helpers/start-gateway.js'
import { historyGateway, publish, range, recordingClient } from './helpers/history-gateway.js'

// Message history on one node (the in-memory store): offsets on the wire, resume after a drop
// with exactly the missed messages, `last: N`, and the reasons a resume cannot recover.

const history = { rooms: [{ match: 'chat:*', size: 100, ttlMs: 60_000 }, { match: 'race:*', size: 5000 }] }

test('a resuming client gets exactly the messages it missed, in order, once, then live ones', async (t) => {
  const gw = await startGateway(t, { gateways: [historyGateway], history })
  const { app } = gw
  const alice = recordingClient(t, () => gw.url())
  await alice.client.join('chat:1')
  assert.deepEqual(alice.recoveries, [{ room: 'chat:1', recovered: true, replayed: 0 }], 'a join of a history room is answered with its position')
  const joinedAt = alice.client.position('chat:1')
  assert.equal(joinedAt?.offset, 0)

  publish(app, 'chat:1', 1, 3)
  await eventually(() => alice.received.length === 3, 2000, 'the live messages')
  assert.deepEqual(alice.client.position('chat:1'), { offset: 3, epoch: joinedAt!.epoch })

  await alice.drop(app)
  publish(app, 'chat:1', 4, 8)
  alice.resume()
  await eventually(() => alice.recoveries.length === 2, 3000, 'the resume')
  assert.deepEqual(alice.recoveries[1], { room: 'chat:1', recovered: true, replayed: 5 })
  await eventually(() => alice.received.length === 8, 2000, 'the replay')
  publish(app, 'chat:1', 9, 9)
  await eventually(() => alice.received.length === 9, 2000, 'a live message after the replay')
  assert.deepEqual(alice.received, range(1, 9))
  assert.deepEqual(alice.client.position('chat:1'), { offset: 9, epoch: joinedAt!.epoch })
})

test('messages published while the resume is read are neither lost nor doubled', async (t) => {
  const gw = await startGateway(t, { gateways: [historyGateway], history })
  const { app } = gw
  const bob = recordingClient(t, () => gw.url())
  await bob.client.join('race:1')
  publish(app, 'race:1', 1, 10)
  await eventually(() => bob.received.length === 10, 2000, 'the first messages')
  await bob.drop(app)
  publish(app, 'race:1', 11, 50)
  // Publish on every turn of the event loop while the client reconnects and resumes.
  let n = 50
  let publishing = true
  const pump = () => {
    if (!publishing || n >= 600) return
    publish(app, 'race:1', n + 1, n + 1)
    n++
    setImmediate(pump)
  }
  pump()
  bob.resume()
  await eventually(() => bob.recoveries.length === 2, 3000, 'the resume')
  await eventually(() => bob.received.length >= 100, 3000, 'live messages after the replay')
  publishing = false
  await eventually(() => bob.received.length === n, 2000, 'every message')
  assert.deepEqual(bob.received, range(1, n), 'no gap, no duplicate, in order')
  assert.equal(bob.recoveries[1]!.recovered, true)
})

test('a client further behind than the room keeps is told recovered: false, too-far-behind, and gets no partial replay', async (t) => {
  const gw = await startGateway(t, { gateways: [historyGateway], history: { rooms: [{ match: 'small:*', size: 5 }] } })
  const { app } = gw
  const carol = recordingClient(t, () => gw.url())
  await carol.client.join('small:1')
  publish(app, 'small:1', 1, 2)
  await eventually(() => carol.received.length === 2, 2000, 'the first messages')
  await carol.drop(app)
  publish(app, 'small:1', 3, 20)
  carol.resume()
  await eventually(() => carol.recoveries.length === 2, 3000, 'the resume')
  assert.deepEqual(carol.recoveries[1], { room: 'small:1', recovered: false, reason: 'too-far-behind', replayed: 0 })
  publish(app, 'small:1', 21, 21)
  await eventually(() => carol.received.length === 3, 2000, 'the next live message')
  assert.deepEqual(carol.received, [1, 2, 21], 'nothing replayed; live messages go on')
  assert.equal(carol.client.position('small:1')?.offset, 21)
})

test('a restarted node has a new epoch: the resume says epoch-changed', async (t) => {
  const first = createGateway({ logger: silentLogger, gateways: [historyGateway], history })
  const { port } = await first.listen(0, '127.0.0.1')
  let second: ReturnType<typeof createGateway> | undefined
  t.after(async () => {
    await first.close({ timeoutMs: 500 })
    await second?.close({ timeoutMs: 500 })
  })
  const dave = recordingClient(t, () => `ws://127.0.0.1:${port}/ws`)
  await dave.client.join('chat:epoch')
  publish(first, 'chat:epoch', 1, 3)
  await eventually(() => dave.received.length === 3, 2000, 'the first messages')
  const before = dave.client.position('chat:epoch')!
  await dave.drop(first)
  await first.close({ timeoutMs: 500 })
  second = createGateway({ logger: silentLogger, gateways: [historyGateway], history })
  await second.listen(port, '127.0.0.1')
  dave.resume()
  await eventually(() => dave.recoveries.length === 2, 5000, 'the resume on the new node')
  assert.deepEqual(dave.recoveries[1], { room: 'chat:epoch', recovered: false, reason: 'epoch-changed', replayed: 0 })
  assert.notEqual(dave.client.position('chat:epoch')!.epoch, before.epoch)
})

test('join(room, { last }) replays the last N on a first join; server.history() reads the same', async (t) => {
  const gw = await startGateway(t, { gateways: [historyGateway], history })
  const { app } = gw
  publish(app, 'chat:last', 1, 30)
  const erin = recordingClient(t, () => gw.url())
  await erin.client.join('chat:last', { last: 10 })
  assert.deepEqual(erin.recoveries, [{ room: 'chat:last', recovered: true, replayed: 10 }])
  await eventually(() => erin.received.length === 10, 2000, 'the last 10')
  assert.deepEqual(erin.received, range(21, 30))
  assert.equal(erin.client.position('chat:last')?.offset, 30)

  const page = await app.server().history('chat:last', { limit: 3 })
  assert.deepEqual(
    page.messages.map((m) => [m.offset, m.event, m.data]),
    [
      [28, 'msg', { n: 28 }],
      [29, 'msg', { n: 29 }],
      [30, 'msg', { n: 30 }],
    ],
  )
  assert.equal(page.offset, 30)
  const after = await app.server().history('chat:last', { since: { offset: 25, epoch: page.epoch } })
  assert.deepEqual(after.messages.map((m) => m.offset), [26, 27, 28, 29, 30])
  await assert.rejects(app.server().history('chat:last', { since: { offset: 25, epoch: 'other' } }), (e: GatewayError) => e.code === 'HISTORY_GONE')
  await assert.rejects(app.server().history('plain'), (e: GatewayError) => e.code === 'HISTORY_OFF')
})

test('rooms without history are unchanged: no offsets, no $recovery; since for them says history-off', async (t) => {
  const gw = await startGateway(t, { gateways: [historyGateway], history })
  const raw = await gw.connect()
  raw.sendRaw(JSON.stringify({ event: 'join', data: { room: 'plain' }, id: 1, since: { plain: { offset: 3, epoch: 'x' } } }))
  const recovery = await raw.next()
  assert.deepEqual(recovery, { event: '$recovery', data: { room: 'plain', recovered: false, reason: 'history-off', replayed: 0 } })
  assert.deepEqual(await raw.next(), { event: 'join', data: { room: 'plain' }, id: 1 })
  gw.app.server().to('plain').emit('msg', { n: 1 })
  assert.deepEqual(await raw.next(), { event: 'msg', data: { n: 1 } })

  raw.sendRaw(JSON.stringify({ event: 'join', data: { room: 'chat:raw' }, id: 2 }))
  const answer = (await raw.next()) as { event: string; data: { epoch: string } }
  assert.equal(answer.event, '$recovery')
  assert.deepEqual(await raw.next(), { event: 'join', data: { room: 'chat:raw' }, id: 2 })
  gw.app.server().to(['chat:raw', 'plain']).emit('msg', { n: 2 })
  const frames = [await raw.next(), await raw.next()]
  assert.deepEqual(
    frames.sort((a, b) => JSON.stringify(a).length - JSON.stringify(b).length),
    [
      { event: 'msg', data: { n: 2 } },
      { event: 'msg', data: { n: 2 }, room: 'chat:raw', offset: 1, epoch: answer.data.epoch },
    ],
    'one frame per history room, one for the rest',
  )

  raw.sendRaw(JSON.stringify({ event: 'join', data: { room: 'chat:bad' }, id: 3, since: { 'chat:bad': { offset: -1 } } }))
  const bad = (await raw.next()) as { error: { code: string } }
  assert.equal(bad.error.code, 'BAD_FRAME')
})
