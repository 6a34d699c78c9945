import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HeldLive } from './held-live.js'

test('held frames come out above the replay, in order; a full buffer refuses', () => {
  const held = new HeldLive(3)
  const frame = (n: number) => Buffer.from(String(n))
  assert.equal(held.hold(4, frame(4)), true)
  assert.equal(held.hold(5, frame(5)), true)
  assert.equal(held.hold(6, frame(6)), true)
  assert.equal(held.hold(7, frame(7)), false)
  assert.deepEqual(held.newerThan(4).map(String), ['5', '6'])
  assert.deepEqual(held.newerThan(0).map(String), ['4', '5', '6'])
})
