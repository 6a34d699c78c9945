import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HistoryBook } from './history-book.js'

test('a position moves forward within an epoch, and a new epoch replaces it', () => {
  const book = new HistoryBook()
  book.received('r', 5, 'E')
  book.received('r', 4, 'E')
  assert.deepEqual(book.position('r'), { offset: 5, epoch: 'E' })
  book.received('r', 2, 'F')
  assert.deepEqual(book.position('r'), { offset: 2, epoch: 'F' })
  assert.equal(book.sinceJson('r', 10), '{"r":{"offset":2,"epoch":"F"}}', 'a known position wins over last N')
  book.forget('r')
  assert.equal(book.sinceJson('r', 10), '{"r":{"last":10}}')
  assert.equal(book.sinceJson('r'), undefined)
})

test('$recovery: without replay it sets the position; with one, the replayed frames move it; a failure without a read keeps it', () => {
  const book = new HistoryBook()
  assert.deepEqual(book.recovery({ room: 'r', recovered: true, epoch: 'E', offset: 9, replayed: 0 }), { room: 'r', recovered: true, replayed: 0 })
  assert.deepEqual(book.position('r'), { offset: 9, epoch: 'E' })
  book.recovery({ room: 'r', recovered: true, epoch: 'E', offset: 12, replayed: 3 })
  assert.deepEqual(book.position('r'), { offset: 9, epoch: 'E' }, 'a drop mid-replay resumes from the last one received')
  book.recovery({ room: 'r', recovered: false, reason: 'store-unavailable', replayed: 0 })
  assert.deepEqual(book.position('r'), { offset: 9, epoch: 'E' })
  const event = book.recovery({ room: 'r', recovered: false, reason: 'epoch-changed', epoch: 'F', offset: 1, replayed: 0 })
  assert.deepEqual(event, { room: 'r', recovered: false, reason: 'epoch-changed', replayed: 0 })
  assert.deepEqual(book.position('r'), { offset: 1, epoch: 'F' }, 'refetched as of the room now')
  book.recovery({ room: 'x', recovered: true, epoch: 'G', offset: 50, replayed: 10 })
  assert.equal(book.position('x'), undefined, 'last N: the replayed frames set it')
  assert.equal(book.recovery({ recovered: true }), undefined)
})
