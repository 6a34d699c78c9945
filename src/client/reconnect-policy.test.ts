import assert from 'node:assert/strict'
import { test } from 'node:test'
import { backoffDelay, DEFAULT_RECONNECT, isReconnectableClose } from './reconnect-policy.js'

const options = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2 }

test('the delay bound grows exponentially from initialDelayMs and stops at maxDelayMs', () => {
  const top = () => 0.999999
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 20, 2000].map((attempt) => backoffDelay(attempt, options, top)),
    [99, 199, 399, 799, 999, 999, 999, 999],
  )
  assert.equal(backoffDelay(3, options, () => 0), 0, 'full jitter reaches down to 0')
})

test('full jitter spreads delays over the whole window', () => {
  const delays = Array.from({ length: 2000 }, () => backoffDelay(5, options))
  assert.ok(delays.every((d) => Number.isInteger(d) && d >= 0 && d < 1000))
  assert.ok(Math.min(...delays) < 100, 'some come back early')
  assert.ok(Math.max(...delays) > 900, 'some wait almost the whole bound')
  const buckets = new Array<number>(10).fill(0)
  for (const d of delays) buckets[Math.floor(d / 100)]!++
  assert.ok(buckets.every((n) => n > 100), `no tenth of the window is empty or crowded: ${buckets.join(',')}`)
})

test('close codes that mean "do not come back" stop the loop; the rest are retried', () => {
  for (const code of [1000, 1008, 4000, 4001, 4403, 4999]) assert.equal(isReconnectableClose(code), false, String(code))
  for (const code of [1001, 1002, 1003, 1005, 1006, 1007, 1009, 1011, 1012, 1013, 1014, 3000, 3999, 5000]) {
    assert.equal(isReconnectableClose(code), true, String(code))
  }
  assert.equal(DEFAULT_RECONNECT.shouldReconnect, isReconnectableClose)
  assert.ok(Object.isFrozen(DEFAULT_RECONNECT))
})
