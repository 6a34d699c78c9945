import assert from 'node:assert/strict'
import { test } from 'node:test'
import { patternRoute } from './message-pattern.js'
import { bodyPattern, encodeNestReply, encodeNestRequest, NEST_NO_HANDLER, nestHeaders, nestMetadata, readNestReply, readNestRequest, wireErrorOfNest } from './nest-packets.js'
import { nestRoute, nestRouteOfBodyPattern } from './nest-route.js'

const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))

test("nestRoute is NestJS's transformPatternToRoute: localeCompare key order, quoted strings, arrays as objects", () => {
  assert.equal(nestRoute({ b: 1, a: 'x' }), '{"a":"x","b":1}')
  assert.equal(nestRoute({ role: 'user', cmd: 'get', v: 1.5 }), '{"cmd":"get","role":"user","v":1.5}')
  assert.equal(nestRoute({ arr: [1, '2'], B: true, _z: null }), '{"_z":null,"arr":{"0":1,"1":"2"},"B":true}')
  // localeCompare, not code-point order: _z, 1, a, b, B, Z (a plain sort gives 1, B, Z, _z, a, b).
  assert.equal(nestRoute({ b: 0, a: 0, B: 0, _z: 0, 1: 0, Z: 0 }), '{"_z":0,"1":0,"a":0,"b":0,"B":0,"Z":0}')
  assert.equal(nestRoute({ 'q"t': 'a\\b' }), '{"q\\"t":"a\\\\b"}')
  assert.equal(nestRoute('demo.ask'), 'demo.ask')
  assert.equal(nestRouteOfBodyPattern('{"b":1,"a":2}'), '{"a":2,"b":1}', 'a JSON string body pattern is parsed, as a NestJS RabbitMQ server does')
  assert.equal(nestRouteOfBodyPattern({ b: 1, a: 2 }), '{"a":2,"b":1}')
})

test('patterns: names as they are, objects (or their JSON) normalized, anything else refused', () => {
  assert.equal(patternRoute('demo.ask'), 'demo.ask')
  assert.equal(patternRoute({ cmd: 'sum', role: 'math' }), '{"cmd":"sum","role":"math"}')
  assert.equal(patternRoute('{"role":"math","cmd":"sum"}'), '{"cmd":"sum","role":"math"}')
  for (const bad of ['', 'has space', '{"cmd":"a b"}', '{not json', [1] as never, null as never, 7 as never]) {
    assert.throws(() => patternRoute(bad), (err: { code?: string }) => err.code === 'INVALID_ARGUMENT', JSON.stringify(bad))
  }
  assert.deepEqual(bodyPattern('{"cmd":"sum"}'), { cmd: 'sum' })
  assert.equal(bodyPattern('demo.ask'), 'demo.ask')
})

test('requests in NestJS key order; metadata and headers carry the deadline, the connection and the trace id', () => {
  const metadata = nestMetadata({ connectionId: 'n-1', traceId: 't', requestId: 7, user: { id: 1 } }, 1700000000000)
  assert.deepEqual(metadata, { deadline: '1700000000000', connectionId: 'n-1', traceId: 't' })
  assert.deepEqual(nestHeaders(metadata), { 'x-deadline': '1700000000000', 'x-connection-id': 'n-1', 'x-trace-id': 't' })
  assert.deepEqual(nestHeaders(nestMetadata({}, undefined)), {}, 'an event of a process without a gateway: nothing')
  assert.equal(encodeNestRequest('{"cmd":"sum"}', [1, 2], {}, 'i-1').toString(), '{"pattern":{"cmd":"sum"},"data":[1,2],"metadata":{},"id":"i-1"}')
  assert.equal(encodeNestRequest('evt', undefined, {}, undefined).toString(), '{"pattern":"evt","data":null,"metadata":{}}', 'an event has no id; data is never undefined')
})

test("reply frames are read as a NestJS 12 client reads them", () => {
  assert.deepEqual(readNestReply(bytes({ response: 1 })), { kind: 'next', id: undefined, response: 1 })
  assert.deepEqual(readNestReply(bytes({ response: 3, isDisposed: true, id: 'a' })), { kind: 'done', id: 'a', response: 3, hasResponse: true })
  assert.deepEqual(readNestReply(bytes({ isDisposed: true })), { kind: 'done', id: undefined, response: undefined, hasResponse: false })
  assert.deepEqual(readNestReply(bytes({ err: 'x', status: 'error' })), { kind: 'error', id: undefined, err: 'x' })
  // Any key outside the envelope makes the whole object the one response.
  assert.deepEqual(readNestReply(bytes({ response: 1, isDisposed: true, extra: 1 })), { kind: 'done', id: undefined, response: { response: 1, isDisposed: true, extra: 1 }, hasResponse: true })
  assert.deepEqual(readNestReply(bytes('not json')), { kind: 'done', id: undefined, response: 'not json', hasResponse: true })
})

test("errors keep their words only when the service shaped them with a well-formed code", () => {
  assert.deepEqual(wireErrorOfNest({ code: 'OUT_OF_STOCK', message: 'Sold out', extra: 1 }), { code: 'OUT_OF_STOCK', message: 'Sold out' })
  assert.deepEqual(wireErrorOfNest(NEST_NO_HANDLER), { code: 'UNKNOWN_EVENT', message: 'No handler for this message' })
  for (const err of [{ status: 'error', message: 'db password' }, { code: 'lower', message: 'x' }, { code: 'OK' }, 'text', 42, true]) {
    assert.deepEqual(wireErrorOfNest(err), { code: 'INTERNAL', message: 'Internal error' }, JSON.stringify(err))
  }
})

test('requests from NestJS clients, and gangway answers as NestJS reply frames', () => {
  assert.deepEqual(readNestRequest(bytes({ pattern: 'p', data: 1, id: 'x', metadata: { a: '1' } }), undefined), { pattern: 'p', data: 1, id: 'x', metadata: { a: '1' } })
  assert.deepEqual(readNestRequest(bytes({ foreign: true }), 'chan'), { pattern: 'chan', data: { foreign: true }, id: undefined, metadata: undefined }, 'not a packet: the data of an event on the channel')
  assert.equal(encodeNestReply({ t: 'a', c: '1', d: { ok: 1 } }, 'x').toString(), '{"response":{"ok":1},"isDisposed":true,"id":"x"}')
  assert.equal(encodeNestReply({ t: 'e', c: '1', e: { code: 'NOPE', message: 'no' } }, undefined).toString(), '{"err":{"status":"error","code":"NOPE","message":"no"},"isDisposed":true}')
})
