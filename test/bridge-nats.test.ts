import assert from 'node:assert/strict'
import { test } from 'node:test'
import { WsError } from '../src/index.js'
import { natsTransport } from '../src/nats/index.js'
import { brokerSkipReason, brokerUrls } from '../src/testing/index.js'

test('NATS: a pattern nobody handles is answered UNAVAILABLE at once (no responders), not after the timeout', { skip: await brokerSkipReason('nats') }, async (t) => {
  const transport = natsTransport(brokerUrls.nats, { prefix: `nr-${process.pid}` })
  t.after(() => transport.close())
  const started = Date.now()
  await assert.rejects(transport.request('nobody.home', 1, { timeoutMs: 10_000 }), (err: WsError) => err.code === 'UNAVAILABLE')
  assert.ok(Date.now() - started < 5000, 'answered long before the 10 s timeout')
  // Requests sent together share one broker message and one reply subject: all of them fail at once too.
  const together = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => transport.request('nobody.home', i, { timeoutMs: 10_000 })))
  assert.deepEqual(
    together.map((r) => (r.status === 'rejected' ? (r.reason as WsError).code : 'answered')),
    Array(20).fill('UNAVAILABLE'),
  )
  assert.ok(Date.now() - started < 5000)
  assert.equal(transport.pending, 0)
  assert.equal(transport.stats.timeouts, 0)
})
