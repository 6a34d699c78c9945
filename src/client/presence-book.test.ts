import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PresenceBook } from './presence-book.js'

const member = (userId: string | null, id: string) => ({ userId, connections: [{ id, nodeId: 'n' }] })

test('a members frame replaces the room and reports the difference; diffs apply; bad frames are refused', () => {
  const book = new PresenceBook()
  const first = book.apply({ room: 'r', members: [member('ada', 'n-1'), member(null, 'n-2')] })!
  assert.deepEqual(first.joins.length, 2)
  const diff = book.apply({ room: 'r', joins: [member('bob', 'n-3')], leaves: [member(null, 'n-2')] })!
  assert.deepEqual(diff.members.map((m) => m.userId), ['ada', 'bob'])
  const again = book.apply({ room: 'r', members: [member('bob', 'n-4'), member('cy', 'n-5')] })!
  assert.deepEqual([again.joins.map((m) => m.userId), again.leaves.map((m) => m.userId)], [['cy'], ['ada']])
  for (const bad of [null, { room: 1, members: [] }, { room: 'r', members: [{ userId: 'x', connections: [] }] }, { room: 'r', joins: [] }, { room: 'r', members: [{ userId: 5, connections: [{ id: 'a', nodeId: 'n' }] }] }]) {
    assert.equal(book.apply(bad), undefined, JSON.stringify(bad))
  }
  assert.deepEqual(book.forget('r')!.leaves.map((m) => m.userId), ['bob', 'cy'])
  assert.deepEqual(book.members('r'), [])
  assert.equal(book.forget('r'), undefined)
})
