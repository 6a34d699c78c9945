import assert from 'node:assert/strict'
import { test } from 'node:test'
import { inMemoryAdapter } from './namespace-adapter.js'
import { NamespaceRegistry, type RegisteredConnection } from './namespace-registry.js'

interface Fake extends RegisteredConnection {
  accept: boolean
  readonly frames: Array<{ event: string; data: { room: string; members?: Array<{ userId: string }>; joins?: Array<{ userId: string }>; leaves?: unknown[] } }>
}

function fake(id: string, userId?: string): Fake {
  const frames: Fake['frames'] = []
  const connection: Fake = {
    id,
    userId,
    roomSet: new Set(),
    accept: true,
    frames,
    send: (frame) => {
      if (!connection.accept) return false
      frames.push(JSON.parse(frame.subarray(frame[1]! === 126 ? 4 : 2).toString()))
      return true
    },
    close() {},
  }
  return connection
}

function registry(): NamespaceRegistry<Fake> {
  const r = new NamespaceRegistry<Fake>('/', 'n1')
  r.useAdapter(inMemoryAdapter().attach(r))
  return r
}

const tick = () => new Promise((resolve) => setImmediate(resolve))
const users = (members: Array<{ userId: string }> | undefined) => (members ?? []).map((m) => m.userId).sort()

test('a watcher that could not take a frame gets the whole room in its next one', async () => {
  const r = registry()
  const watcher = fake('n1-0', 'w')
  r.add(watcher)
  await r.join(watcher, 'room', { presence: true })
  assert.deepEqual(users(watcher.frames[0]!.data.members), ['w'])

  watcher.accept = false // its outbox is full and drops frames
  const [a, b, c] = [fake('n1-1', 'a'), fake('n1-2', 'b'), fake('n1-3', 'c')]
  for (const x of [a, b, c]) r.add(x)
  void r.join(a, 'room')
  await tick()
  assert.equal(watcher.frames.length, 1, 'the diff with a was dropped')

  watcher.accept = true
  void r.join(b, 'room')
  await tick()
  assert.deepEqual(users(watcher.frames[1]!.data.members), ['a', 'b', 'w'], 'the members again, not a diff it could not apply')
  void r.join(c, 'room')
  await tick()
  assert.deepEqual(users(watcher.frames[2]!.data.joins), ['c'], 'then diffs again')
})

test('watching ends with the room: leaving stops the frames, and the last watcher gone drops the view', async () => {
  const r = registry()
  const [w, a] = [fake('n1-0', 'w'), fake('n1-1', 'a')]
  r.add(w)
  r.add(a)
  await r.join(w, 'room', { presence: true })
  await r.join(w, 'room', { presence: true }) // again: nothing new
  assert.equal(w.frames.length, 1)
  assert.equal(r.presence.isWatched('room'), true)
  r.leave(w, 'room')
  void r.join(a, 'room')
  await tick()
  assert.equal(w.frames.length, 1)
  assert.equal(r.presence.isWatched('room'), false)
  assert.deepEqual(r.presence.entries('room'), [{ id: 'n1-1', nodeId: 'n1', userId: 'a' }])
})
