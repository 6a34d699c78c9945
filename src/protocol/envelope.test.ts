import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isEnvelopeFailure, MAX_DEADLINE_AHEAD_MS, parseEnvelope, readDeadline } from './envelope.js'

const limits = { maxDepth: 8, maxEventLength: 16, maxIdLength: 8 }

test('parses a request envelope', () => {
  assert.deepEqual(parseEnvelope('{"event":"echo","data":{"a":1},"id":7}', limits), { event: 'echo', data: { a: 1 }, id: 7, deadline: undefined })
  assert.deepEqual(parseEnvelope('{"event":"echo","id":"r-1"}', limits), { event: 'echo', data: undefined, id: 'r-1', deadline: undefined })
  assert.deepEqual(parseEnvelope('{"event":"echo","data":null,"id":null}', limits), { event: 'echo', data: null, id: undefined, deadline: undefined })
})

test('a deadline is a finite epoch-ms number later than now, clamped a day ahead; anything else is ignored', () => {
  const now = Date.now()
  const soon = now + 5000
  assert.equal((parseEnvelope(`{"event":"echo","id":1,"deadline":${soon}}`, limits) as { deadline?: number }).deadline, soon)
  for (const bad of ['"soon"', 'null', '0', `${now - 1}`, '-1', '{}', '[1]', 'true']) {
    const parsed = parseEnvelope(`{"event":"echo","id":1,"deadline":${bad}}`, limits)
    assert.equal(isEnvelopeFailure(parsed), false, bad)
    assert.equal((parsed as { deadline?: number }).deadline, undefined, bad)
  }
  assert.equal(readDeadline(now - 10, now), undefined, 'past by our clock: perhaps a slow client clock')
  assert.equal(readDeadline(Number.POSITIVE_INFINITY, now), undefined)
  assert.equal(readDeadline(now + 10 * MAX_DEADLINE_AHEAD_MS, now), now + MAX_DEADLINE_AHEAD_MS)
})

test('rejects what is not an envelope, echoing a readable id', () => {
  const cases: Array<[string, string, string | number | undefined]> = [
    ['{', 'not valid JSON', undefined],
    ['', 'not valid JSON', undefined],
    ['[1,2]', 'must be a JSON object', undefined],
    ['42', 'must be a JSON object', undefined],
    ['"echo"', 'must be a JSON object', undefined],
    ['null', 'must be a JSON object', undefined],
    ['{"data":1,"id":3}', '"event" must be', 3],
    ['{"event":{"toString":"x"},"id":3}', '"event" must be', 3],
    ['{"event":"","id":"a"}', '"event" must be', 'a'],
    ['{"event":"this-name-is-far-too-long"}', '"event" must be', undefined],
    ['{"event":"echo","id":{"a":1}}', '"id" must be', undefined],
    ['{"event":"echo","id":"123456789"}', '"id" must be', undefined],
    ['{"event":"echo","id":true}', '"id" must be', undefined],
    ['{"event":"echo","data":[[[[[[[[[1]]]]]]]]]}', 'nests deeper than 8', undefined],
    ['{"event":"echo","data":{"__proto__":{"polluted":1}},"id":1}', '"__proto__"', 1],
    ['{"event":"echo","data":{"a":{"constructor":{"prototype":{"x":1}}}}}', '"constructor.prototype"', undefined],
    // Found by the frame fuzz (test/security): keys spelled with \u escapes parse to the same key.
    ['{"event":"echo","data":{"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":1}},"id":2}', '"__proto__"', 2],
    ['{"event":"echo","data":{"constructor":{"prot\\u006ftype":{"x":1}}}}', '"constructor.prototype"', undefined],
  ]
  for (const [text, message, id] of cases) {
    const result = parseEnvelope(text, limits)
    assert.ok(isEnvelopeFailure(result), `${text} should fail`)
    assert.match(result.failure, new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), text)
    assert.equal(result.id, id, text)
  }
})

test('brackets inside strings do not count towards depth', () => {
  const text = JSON.stringify({ event: 'echo', data: '[[[[[[[[[[[[[[[[[[[[[[[[' })
  assert.equal(isEnvelopeFailure(parseEnvelope(text, limits)), false)
})

test('a "prototype" or "constructor" key alone is ordinary data', () => {
  const result = parseEnvelope('{"event":"echo","data":{"prototype":1,"constructor":"Ford"}}', limits)
  assert.equal(isEnvelopeFailure(result), false)
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
})
