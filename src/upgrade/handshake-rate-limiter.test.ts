import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HandshakeRateLimiter } from './handshake-rate-limiter.js'

test('a burst is allowed, then one upgrade per refill; Retry-After counts the seconds to the next token', () => {
  const limiter = new HandshakeRateLimiter({ perSecond: 2, burst: 3 })
  const t0 = 1_000_000
  assert.deepEqual([1, 2, 3].map(() => limiter.take('a', t0)), [0, 0, 0])
  assert.equal(limiter.take('a', t0), 1) // 0.5 s to the next token: at least 1 s
  assert.equal(limiter.take('b', t0), 0, 'another address has its own bucket')
  assert.equal(limiter.take('a', t0 + 499), 1)
  assert.equal(limiter.take('a', t0 + 500), 0)
  const slow = new HandshakeRateLimiter({ perSecond: 0.1, burst: 1 })
  assert.equal(slow.take('c', t0), 0)
  assert.equal(slow.take('c', t0), 10)
})

test('addresses whose bucket refilled are forgotten, so a spray of addresses cannot grow the table without bound', () => {
  const limiter = new HandshakeRateLimiter({ perSecond: 1000, burst: 1 })
  for (let i = 0; i < 5000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`, i)
  // Each bucket refills 1 ms after its only use: every sweep leaves at most the addresses of the last millisecond.
  assert.ok(limiter.tracked <= 1024, `${limiter.tracked} addresses tracked`)
})
