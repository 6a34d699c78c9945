import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseControl } from './cluster-control.js'
import { chunks, fromWire, parsePresence, toWire } from './presence-messages.js'

test('presence messages are checked field by field; anything else is not one', () => {
  assert.deepEqual(parsePresence({ t: 'pq', id: 1, ns: '/', r: ['lobby'], w: true }), { t: 'pq', id: 1, ns: '/', r: ['lobby'], w: true })
  assert.deepEqual(parsePresence({ t: 'pu', ns: '/', r: ['a', 'b'] }), { t: 'pu', ns: '/', r: ['a', 'b'] })
  const ps = { t: 'ps', id: 2, ns: '/', r: 'lobby', e: 'x1', s: 7, m: [{ id: 'n-1', userId: 'ada', meta: { name: 'Ada' } }], more: true }
  assert.deepEqual(parsePresence(ps), ps)
  const pd = { t: 'pd', ns: '/', r: 'lobby', e: 'x1', s: 9, p: 7, set: [], del: ['n-1'] }
  assert.deepEqual(parsePresence(pd), pd)
  for (const bad of [
    null,
    'pq',
    { t: 'pq', id: -1, ns: '/', r: ['a'], w: true },
    { t: 'pq', id: 1, ns: '', r: ['a'], w: true },
    { t: 'pq', id: 1, ns: '/', r: [], w: true },
    { t: 'pq', id: 1, ns: '/', r: ['a'], w: 'yes' },
    { ...ps, m: [{ userId: 'ada' }] },
    { ...ps, m: [{ id: 'n-1', userId: 5 }] },
    { ...ps, s: 1.5 },
    { ...pd, del: [3] },
    { ...pd, set: {} },
    { t: 'px', ns: '/' },
  ]) {
    assert.equal(parsePresence(bad), undefined, JSON.stringify(bad))
  }
})

test('entries leave out what the receiver knows; query answers name their node', () => {
  const entries = [
    { id: 'n-1', nodeId: 'n', userId: 'ada', meta: { tab: 1 } },
    { id: 'n-2', nodeId: 'n', userId: undefined },
  ]
  const wire = toWire(entries)
  assert.deepEqual(JSON.parse(JSON.stringify(wire)), [{ id: 'n-1', userId: 'ada', meta: { tab: 1 } }, { id: 'n-2' }])
  assert.deepEqual(fromWire(wire, 'n'), entries)
  const res = parseControl({ t: 'res', id: 3, v: JSON.parse(JSON.stringify(entries)) })
  assert.deepEqual(res, { t: 'res', id: 3, v: [{ id: 'n-1', nodeId: 'n', userId: 'ada', meta: { tab: 1 } }, { id: 'n-2', nodeId: 'n', userId: undefined }] })
  assert.equal(parseControl({ t: 'res', id: 3, v: [{ id: 'n-1' }] }), undefined, 'an answer entry without its node')
  assert.deepEqual(parseControl({ t: 'req', id: 4, ns: '/', q: { kind: 'presence', room: 'lobby' } }), { t: 'req', id: 4, ns: '/', q: { kind: 'presence', room: 'lobby' } })
})

test('chunks', () => {
  assert.deepEqual(chunks([], 2), [[]])
  assert.deepEqual(chunks([1, 2, 3], 2), [[1, 2], [3]])
})
