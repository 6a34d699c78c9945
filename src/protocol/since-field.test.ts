import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_SINCE_ROOMS, readSince } from './since-field.js'

test('since names positions or last N per room; anything else is a wire-safe reason', () => {
  assert.deepEqual({ ...(readSince({ a: { offset: 3, epoch: 'E' }, b: { last: 5 } }) as object) }, { a: { offset: 3, epoch: 'E' }, b: { last: 5 } })
  assert.deepEqual({ ...(readSince({ a: { offset: 0, epoch: 'E' } }) as object) }, { a: { offset: 0, epoch: 'E' } })
  for (const bad of [[], 'x', { a: { offset: -1, epoch: 'E' } }, { a: { offset: 1 } }, { a: { last: 0 } }, { a: { last: 2, offset: 1 } }, { a: { offset: 1.5, epoch: 'E' } }, { '': { last: 1 } }]) {
    assert.equal(typeof readSince(bad), 'string', JSON.stringify(bad))
  }
  const many = Object.fromEntries(Array.from({ length: MAX_SINCE_ROOMS + 1 }, (_, i) => [`r${i}`, { last: 1 }]))
  assert.match(readSince(many) as string, /at most/)
})
