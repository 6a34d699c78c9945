import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GatewayError } from '../errors/gateway-error.js'
import { RequestLedger } from './request-ledger.js'

/** A frame without its deadline (now + timeoutMs, checked on its own). */
const withoutDeadline = (text: string) => text.replace(/,"deadline":\d+\}$/, '}')

function settledCount(promises: Array<Promise<unknown>>): Promise<Array<string>> {
  return Promise.all(promises.map((p) => p.then((v) => `ok:${JSON.stringify(v)}`, (e: GatewayError) => e.code)))
}

test('ids are fresh and frames carry them; pump sends in order within maxInFlight', async () => {
  const ledger = new RequestLedger({ maxQueued: 10, maxInFlight: 2 })
  const sent: string[] = []
  const before = Date.now()
  const replies = [ledger.request('a', '1', 1000), ledger.request('b', undefined, 1000), ledger.request('c', '"x"', 1000)]
  assert.equal(ledger.emit('d', '{"k":1}'), true)
  ledger.pump((text) => (sent.push(text), true))
  const deadline = (JSON.parse(sent[0]!) as { deadline: number }).deadline
  assert.ok(deadline >= before + 1000 && deadline <= Date.now() + 1000, 'a request carries its deadline: now + timeoutMs')
  assert.deepEqual(sent.map(withoutDeadline), ['{"event":"a","data":1,"id":1}', '{"event":"b","id":2}'])
  assert.deepEqual([ledger.inFlight, ledger.queued], [2, 2])
  assert.equal(ledger.answer(1, { data: 'A' }), true)
  ledger.pump((text) => (sent.push(text), true))
  // c goes out; the emit behind it too (emits take no slot in flight).
  assert.deepEqual(sent.slice(2).map(withoutDeadline), ['{"event":"c","data":"x","id":3}', '{"event":"d","data":{"k":1}}'])
  assert.equal(ledger.answer(2, { error: new GatewayError('NOPE', 'no') }), true)
  assert.equal(ledger.answer(3, { data: null }), true)
  assert.deepEqual(await settledCount(replies), ['ok:"A"', 'NOPE', 'ok:null'])
  assert.deepEqual([ledger.inFlight, ledger.queued], [0, 0])
})

test('exactly one outcome: a second answer, a late answer and a later failure change nothing', async () => {
  const ledger = new RequestLedger({ maxQueued: 10, maxInFlight: 10 })
  const first = ledger.request('a', undefined, 1000)
  const timed = ledger.request('b', undefined, 20)
  ledger.pump(() => true)
  assert.equal(ledger.answer(1, { data: 1 }), true)
  assert.equal(ledger.answer(1, { data: 2 }), false, 'answered already')
  ledger.failInFlight(() => new GatewayError('DISCONNECTED', 'gone'))
  assert.deepEqual(await settledCount([first, timed]), ['ok:1', 'DISCONNECTED'])

  const late = ledger.request('c', undefined, 20)
  ledger.pump(() => true)
  assert.deepEqual(await settledCount([late]), ['TIMEOUT'])
  assert.equal(ledger.answer(3, { data: 'late' }), false, 'a reply after the timeout matches nothing')
  assert.equal(ledger.answer('3', { data: 'x' }), false, 'ids are numbers; a string id is not ours')
  assert.equal(ledger.inFlight, 0)
})

test('the queue is bounded, times out what waits too long, and fails what is left on close', async () => {
  const ledger = new RequestLedger({ maxQueued: 2, maxInFlight: 10 })
  const waiting = ledger.request('a', undefined, 20)
  const kept = ledger.request('b', undefined, 10_000)
  assert.equal(ledger.emit('c', undefined), false)
  const refused = ledger.request('d', undefined, 1000)
  assert.deepEqual(await settledCount([waiting, refused]), ['TIMEOUT', 'QUEUE_FULL'])
  assert.equal(ledger.queued, 1, 'the timed-out entry left the queue')
  ledger.failQueued(() => new GatewayError('CLOSED', 'closed'))
  assert.deepEqual(await settledCount([kept]), ['CLOSED'])
  assert.equal(ledger.queued, 0)
})

test('a frame the socket refuses fails its request with DISCONNECTED and stops the pump', async () => {
  const ledger = new RequestLedger({ maxQueued: 10, maxInFlight: 10 })
  const refused = ledger.request('a', undefined, 1000)
  const next = ledger.request('b', undefined, 1000)
  ledger.pump(() => false)
  assert.deepEqual(await settledCount([refused]), ['DISCONNECTED'])
  assert.deepEqual([ledger.inFlight, ledger.queued], [0, 1])
  ledger.failQueued(() => new GatewayError('CLOSED', 'closed'))
  assert.deepEqual(await settledCount([next]), ['CLOSED'])
})

test('an immediate request (a re-join) skips the queue and its bound', async () => {
  const ledger = new RequestLedger({ maxQueued: 0, maxInFlight: 1 })
  const sent: string[] = []
  const rejoin = ledger.request('join', '{"room":"r"}', 1000, (text) => sent.push(text))
  assert.deepEqual(sent.map(withoutDeadline), ['{"event":"join","data":{"room":"r"},"id":1}'])
  assert.equal(ledger.inFlight, 1)
  ledger.answer(1, { data: { room: 'r' } })
  assert.deepEqual(await settledCount([rejoin]), ['ok:{"room":"r"}'])
})

test('an aborted signal settles CANCELLED at once: queued, nothing is sent; in flight, a $cancel frame follows; a late answer matches nothing', async () => {
  const controls: string[] = []
  const ledger = new RequestLedger({ maxQueued: 10, maxInFlight: 10 }, (text) => controls.push(text))
  const sent: string[] = []

  const already = new AbortController()
  already.abort()
  assert.deepEqual(await settledCount([ledger.request('a', undefined, 1000, undefined, already.signal)]), ['CANCELLED'])
  assert.equal(ledger.queued, 0, 'an aborted signal queues nothing')

  const queued = new AbortController()
  const waiting = ledger.request('b', undefined, 1000, undefined, queued.signal)
  queued.abort()
  assert.deepEqual(await settledCount([waiting]), ['CANCELLED'])
  ledger.pump((text) => (sent.push(text), true))
  assert.deepEqual([sent, controls], [[], []], 'cancelled before it was sent: nothing goes out')

  const inFlight = new AbortController()
  const sentOne = ledger.request('c', undefined, 1000, undefined, inFlight.signal)
  ledger.pump((text) => (sent.push(text), true))
  inFlight.abort()
  assert.deepEqual(await settledCount([sentOne]), ['CANCELLED'])
  assert.deepEqual(controls, ['{"event":"$cancel","id":2}'])
  assert.equal(ledger.answer(2, { data: 'late' }), false, 'the late answer is discarded')
  assert.equal(ledger.inFlight, 0)
})

test('a request that times out after it was sent is cancelled on the server too; an answered one is not', async () => {
  const controls: string[] = []
  const ledger = new RequestLedger({ maxQueued: 10, maxInFlight: 10 }, (text) => controls.push(text))
  const signal = new AbortController()
  const answered = ledger.request('a', undefined, 1000, undefined, signal.signal)
  const timed = ledger.request('b', undefined, 20)
  ledger.pump(() => true)
  ledger.answer(1, { data: 1 })
  signal.abort() // after its answer: changes nothing
  assert.deepEqual(await settledCount([answered, timed]), ['ok:1', 'TIMEOUT'])
  assert.deepEqual(controls, ['{"event":"$cancel","id":2}'])
})
