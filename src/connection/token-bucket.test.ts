import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TokenBucket } from './token-bucket.js'

test('allows a burst, then refills at the configured rate', () => {
  const bucket = new TokenBucket(10 / 1000, 5, 100, 0) // 10/s, burst 5
  for (let i = 0; i < 5; i++) assert.equal(bucket.take(0), true)
  assert.equal(bucket.take(0), false)
  assert.equal(bucket.take(50), false) // half a token
  assert.equal(bucket.take(100), true) // one token after 100 ms
  assert.equal(bucket.take(100), false)
  assert.equal(bucket.take(10_000), true) // capped at the burst size
  for (let i = 0; i < 4; i++) assert.equal(bucket.take(10_000), true)
  assert.equal(bucket.take(10_000), false)
})

test('flags sustained abuse after too many rejections in one second', () => {
  const bucket = new TokenBucket(1 / 1000, 1, 3, 0)
  assert.equal(bucket.take(0), true)
  for (let i = 0; i < 3; i++) assert.equal(bucket.take(1), false)
  assert.equal(bucket.abusive, false)
  assert.equal(bucket.take(2), false)
  assert.equal(bucket.abusive, true)
})
