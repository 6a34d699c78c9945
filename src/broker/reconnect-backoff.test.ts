import assert from 'node:assert/strict'
import { test } from 'node:test'
import { reconnectDelay, type ReconnectBackoff } from './reconnect-backoff.js'

const backoff: ReconnectBackoff = { initialDelayMs: 100, maxDelayMs: 2000, jitter: 0.5 }

test('reconnectDelay: the bound doubles per attempt up to maxDelayMs; jitter takes up to its fraction off', () => {
  const longest = (attempt: number) => reconnectDelay(attempt, backoff, () => 0)
  const shortest = (attempt: number) => reconnectDelay(attempt, backoff, () => 1)
  assert.deepEqual([1, 2, 3, 4, 5, 6, 50].map(longest), [100, 200, 400, 800, 1600, 2000, 2000])
  assert.deepEqual([1, 2, 3, 4, 5, 6, 50].map(shortest), [50, 100, 200, 400, 800, 1000, 1000])
  for (let i = 0; i < 1000; i++) {
    const delay = reconnectDelay(3, backoff)
    assert.ok(delay >= 200 && delay <= 400, `${delay} within [200, 400]`)
  }
})

test('reconnectDelay: no jitter is the bound itself; attempts below 1 and huge ones stay finite', () => {
  const exact = { initialDelayMs: 250, maxDelayMs: 6250, jitter: 0 }
  assert.equal(reconnectDelay(1, exact), 250)
  assert.equal(reconnectDelay(0, exact), 250)
  assert.equal(reconnectDelay(-3, exact), 250)
  assert.equal(reconnectDelay(1e9, exact), 6250)
  assert.equal(reconnectDelay(Number.MAX_SAFE_INTEGER, { ...exact, jitter: 0.4 }, () => 1), 3750)
})
