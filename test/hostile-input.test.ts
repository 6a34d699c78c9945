import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineGateway, type Client } from '../src/index.js'
import { startGateway } from './helpers/start-gateway.js'

/** A seeded generator so a failure can be replayed. */
function random(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
}

function malformedFrames(count: number, seed: number): string[] {
  const next = random(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
  const junk = () => Array.from({ length: Math.floor(next() * 40) }, () => String.fromCharCode(32 + Math.floor(next() * 95))).join('')
  const shapes: Array<() => string> = [
    () => junk(),
    () => '{' + junk(),
    () => JSON.stringify({ event: 'echo', data: junk() }).slice(0, Math.floor(next() * 20)),
    () => pick(['[]', '[1,', 'null', 'true', '42', '"echo"', '{}', '{"event":null}', '{"event":[]}', '{"event":{}}']),
    () => JSON.stringify({ event: pick([1, true, null, {}, [], '']), data: junk() }),
    () => JSON.stringify({ event: 'echo', id: pick([{}, [], true, 'x'.repeat(500), Number.MAX_VALUE]) }),
    () => '{"event":"echo","id":1e999}',
    () => '['.repeat(100 + Math.floor(next() * 1000)) + ']'.repeat(10),
    () => `{"event":"echo","data":${'{"a":'.repeat(80)}1${'}'.repeat(80)}}`,
    () => `{"event":"echo","data":{"__proto__":{"polluted":${Math.floor(next() * 9)}}}}`,
    () => '{"event":"echo","data":{"constructor":{"prototype":{"polluted":1}}}}',
    () => JSON.stringify({ event: 'x'.repeat(200 + Math.floor(next() * 1000)) }),
    () => JSON.stringify({ event: junk() || 'q', data: 1 }),
    () => '\u0000\u0001' + junk(),
    () => JSON.stringify({ event: 'echo', data: 1 }) + junk(),
  ]
  return Array.from({ length: count }, () => pick(shapes)())
}

test('1,500 random malformed frames each get an error frame, and the server still answers echo', async (t) => {
  const gw = await startGateway(t, { gateways: [defineGateway({ path: '/ws' }).subscribe('echo', (d) => d)], rateLimit: false })
  const socket = await gw.connect()
  const frames = malformedFrames(1500, 20261125)
  let answered = 0
  socket.ws.on('message', () => answered++)
  for (const frame of frames) socket.sendRaw(frame)
  const reply = await socket.request('echo', 'still alive', 10_000)
  assert.deepEqual(reply, { event: 'echo', data: 'still alive', id: 1 })
  // Every malformed frame was answered (an error frame), except the valid-prefix ones that echo back.
  assert.equal(answered, frames.length + 1)
  const codes = new Set(socket.frames.filter((f) => f.error).map((f) => f.error!.code))
  assert.ok([...codes].every((code) => code === 'BAD_FRAME' || code === 'UNKNOWN_EVENT'), [...codes].join())
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  assert.equal(gw.app.connectionCount, 1)
})

test('a __proto__ payload leaves Object.prototype untouched, even through a naive deep merge', async (t) => {
  const before = Object.getOwnPropertyNames(Object.prototype).sort()
  const settings: Record<string, unknown> = {}
  const deepMerge = (target: Record<string, any>, source: Record<string, any>) => {
    for (const key of Object.keys(source)) {
      if (typeof source[key] === 'object' && source[key] !== null) deepMerge((target[key] ??= {}), source[key])
      else target[key] = source[key]
    }
  }
  const gateway = defineGateway({ path: '/ws' }).subscribe('settings', (data: Record<string, unknown>, _client: Client) => {
    deepMerge(settings, data)
    return 'saved'
  })
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect()
  for (const raw of [
    '{"event":"settings","id":1,"data":{"__proto__":{"polluted":"yes"}}}',
    '{"event":"settings","id":2,"data":{"a":{"b":{"__proto__":{"polluted":"yes"}}}}}',
    '{"event":"settings","id":3,"data":{"constructor":{"prototype":{"polluted":"yes"}}}}',
    '{"event":"settings","id":4,"data":[{"__proto__":{"polluted":"yes"}}]}',
  ]) {
    socket.sendRaw(raw)
    const answer = await socket.next((f) => f.id === JSON.parse(raw).id)
    assert.equal(answer.error?.code, 'BAD_FRAME', raw)
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before)
  assert.equal((await socket.request('settings', { theme: 'dark' })).data, 'saved')
  assert.deepEqual(settings, { theme: 'dark' })
})
