import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PresenceEntry } from './presence-entry.js'
import { groupMembers } from './presence-entry.js'
import { PresenceView } from './presence-view.js'

const entry = (id: string, nodeId: string, userId?: string, meta?: unknown): PresenceEntry => (meta === undefined ? { id, nodeId, userId } : { id, nodeId, userId, meta })

function keysOf(members: ReadonlyArray<{ userId: string | null; connections: ReadonlyArray<{ id: string }> }>): string[] {
  return members.map((m) => m.userId ?? `#${m.connections[0]!.id}`).sort()
}

test('a user with several connections is one member; a connection without a user is its own', () => {
  const view = new PresenceView()
  view.add(entry('a-1', 'a', 'ada'))
  view.add(entry('b-1', 'b', 'ada', { tab: 2 }))
  view.add(entry('a-2', 'a'))
  assert.equal(view.size, 3)
  assert.deepEqual(keysOf(view.members()), ['#a-2', 'ada'])
  const ada = view.members().find((m) => m.userId === 'ada')!
  assert.deepEqual(ada.connections, [{ id: 'a-1', nodeId: 'a' }, { id: 'b-1', nodeId: 'b', meta: { tab: 2 } }])
  assert.deepEqual(keysOf(groupMembers([entry('x-1', 'x', 'u'), entry('x-2', 'x', 'u'), entry('x-3', 'x')])), ['#x-3', 'u'])
})

test('diffs are per member and net: a second connection is no join, a leave and a come-back is no change', () => {
  const view = new PresenceView()
  view.add(entry('a-1', 'a', 'ada'))
  assert.deepEqual(keysOf(view.takeDiff()!.joins), ['ada'])
  view.add(entry('a-2', 'a', 'ada'))
  assert.equal(view.takeDiff(), undefined, 'a second tab')
  view.remove('a', 'a-1')
  assert.equal(view.takeDiff(), undefined, 'one tab of two left')
  view.remove('a', 'a-2')
  view.add(entry('a-3', 'a', 'ada'))
  assert.equal(view.takeDiff(), undefined, 'left and came back before the diff')
  view.remove('a', 'a-3')
  const diff = view.takeDiff()!
  assert.deepEqual({ joins: diff.joins, leaves: keysOf(diff.leaves) }, { joins: [], leaves: ['ada'] })
  assert.deepEqual(diff.leaves[0]!.connections, [{ id: 'a-3', nodeId: 'a' }], 'the member as it was')
  assert.equal(view.dirty, false)
})

test('replacing a node’s part reports only who came and went; dropping a node leaves its members', () => {
  const view = new PresenceView()
  view.replaceNode('b', [entry('b-1', 'b', 'ada'), entry('b-2', 'b', 'bob')])
  view.add(entry('a-1', 'a', 'bob'))
  view.takeDiff()
  view.replaceNode('b', [entry('b-2', 'b', 'bob'), entry('b-3', 'b', 'cy')])
  const diff = view.takeDiff()!
  assert.deepEqual({ joins: keysOf(diff.joins), leaves: keysOf(diff.leaves) }, { joins: ['cy'], leaves: ['ada'] })
  assert.equal(view.dropNode('b'), true)
  const dropped = view.takeDiff()!
  assert.deepEqual({ joins: keysOf(dropped.joins), leaves: keysOf(dropped.leaves) }, { joins: [], leaves: ['cy'] }, 'bob stays: he is on a too')
  assert.deepEqual(view.members().flatMap((m) => m.connections.map((c) => c.nodeId)), ['a'])
  assert.equal(view.dropNode('b'), false)
})

test('an id that comes back with another user moves to that member', () => {
  const view = new PresenceView()
  view.add(entry('n-1', 'n', 'old'))
  view.takeDiff()
  view.add(entry('n-1', 'n', 'new'))
  const diff = view.takeDiff()!
  assert.deepEqual({ joins: keysOf(diff.joins), leaves: keysOf(diff.leaves) }, { joins: ['new'], leaves: ['old'] })
  assert.equal(view.size, 1)
})
