import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeEvent } from '../protocol/frames.js'
import { decodeMessage, encodeBroadcast, encodeControl, FLAG_MULTI_CHANNEL, MalformedMessageError, MessageKind, PROTOCOL_VERSION } from './cluster-codec.js'
import { ClusterChannels, escapeToken, nodeOfConnection } from './cluster-channels.js'
import { ClusterNodes } from './cluster-nodes.js'
import { parseControl } from './cluster-control.js'

const target = { rooms: ['r1', 'é ✓'], users: ['u1'], connections: ['abc-1'], exceptRooms: ['mute'], exceptConnections: ['xyz-2'] }

test('a broadcast round-trips with its targets and the exact frame bytes', () => {
  const frame = encodeEvent('news', { text: 'ü'.repeat(200) })
  const bytes = encodeBroadcast('node_1', FLAG_MULTI_CHANNEL, 4_000_000_000, '/chat', target, 0xdeadbeef, [0, 7, 0xffffffff], frame)
  const message = decodeMessage(bytes)
  assert.equal(message.kind, MessageKind.Broadcast)
  if (message.kind !== MessageKind.Broadcast) return
  assert.equal(message.sender, 'node_1')
  assert.equal(message.seq, 4_000_000_000)
  assert.equal(message.flags, FLAG_MULTI_CHANNEL)
  assert.equal(message.namespace, '/chat')
  assert.deepEqual(message.target, target)
  assert.equal(message.epoch, 0xdeadbeef)
  assert.deepEqual(message.channelSeqs, [0, 7, 0xffffffff])
  assert.ok(message.frame.equals(frame), 'the frame bytes are carried untouched')
})

test('a control message round-trips', () => {
  const message = decodeMessage(encodeControl('n1', { t: 'req', id: 7, ns: '/', q: { kind: 'roomSize', room: 'a' } }))
  assert.equal(message.kind, MessageKind.Control)
  assert.deepEqual(parseControl(message.kind === MessageKind.Control ? message.body : undefined), { t: 'req', id: 7, ns: '/', q: { kind: 'roomSize', room: 'a' } })
})

test('malformed messages throw MalformedMessageError, never anything else', () => {
  const good = encodeBroadcast('n', 0, 1, '/', target, 5, [1], encodeEvent('e', 1))
  const bad = [Buffer.alloc(0), Buffer.from([9, 1, 0, 0]), Buffer.from([1, 7, 0, 0]), Buffer.from([1, 2, 0, 0x7b]), good.subarray(0, 20), good.subarray(0, good.length - 4 - 8)]
  for (let cut = 4; cut < good.length - 10; cut += 3) bad.push(good.subarray(0, cut))
  for (const bytes of bad) assert.throws(() => decodeMessage(bytes), MalformedMessageError)
})

test('a message of another protocol version is malformed (version 1 had no channel seqs)', () => {
  assert.equal(PROTOCOL_VERSION, 2)
  for (const version of [1, 3, 0, 255]) {
    const bytes = Buffer.from(encodeBroadcast('n', 0, 1, '/', target, 5, [1], encodeEvent('e', 1)))
    bytes[0] = version
    assert.throws(() => decodeMessage(bytes), (err: unknown) => err instanceof MalformedMessageError && /version/.test(err.message))
  }
})

test('control bodies are checked field by field', () => {
  assert.equal(parseControl({ t: 'req', id: 1, ns: '/', q: { kind: 'disconnectUser', userId: 'u', code: 1005, reason: '' } }), undefined)
  assert.equal(parseControl({ t: 'req', id: -1, ns: '/', q: { kind: 'roomSize', room: 'a' } }), undefined)
  assert.equal(parseControl({ t: 'res', id: 1, v: ['a', 2] }), undefined)
  assert.equal(parseControl({ t: 'nope' }), undefined)
  assert.equal(parseControl(null), undefined)
  assert.deepEqual(parseControl({ t: 'res', id: 1, v: 3 }), { t: 'res', id: 1, v: 3 })
})

test('channel tokens are valid NATS subject tokens and never collide', () => {
  const names = ['a.b', 'a*b', 'a>b', 'a b', '%', '%25', '', 'é', '\uD800', '~x', 'a%2Eb']
  const tokens = names.map(escapeToken)
  for (const token of tokens) assert.match(token, /^[A-Za-z0-9_\-!~'()%]+$/)
  assert.equal(new Set(tokens).size, names.length)
  const channels = new ClusterChannels('gangway')
  assert.equal(channels.room('/', 'lobby.1'), 'gangway.room.%2F.lobby%2E1')
  assert.equal(nodeOfConnection('node_1.x-1a'), 'node_1.x')
  assert.equal(nodeOfConnection('nodash'), undefined)
})

test('duplicate copies of a broadcast are recognised per sender', () => {
  const nodes = new ClusterNodes()
  assert.equal(nodes.isDuplicate('a', 1), false)
  assert.equal(nodes.isDuplicate('a', 1), true)
  assert.equal(nodes.isDuplicate('b', 1), false)
  for (let seq = 2; seq < 60; seq++) assert.equal(nodes.isDuplicate('a', seq), false)
  assert.equal(nodes.isDuplicate('a', 30), true)
})
