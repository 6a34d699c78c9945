import assert from 'node:assert/strict'
import { natsTransport } from './nats-transport.js'
import { test } from 'node:test'
import { DEFAULT_JETSTREAM_OPTIONS, DEFAULT_NATS_BUS_OPTIONS, DEFAULT_NATS_LINK_OPTIONS, resolveNatsBusOptions, resolveNatsLinkOptions } from './nats-options.js'

const invalid = (option: string) => (err: unknown) => (err as { code?: string }).code === 'CONFIG_INVALID' && (err as Error).message.includes(`"${option}"`)

test('resolveNatsLinkOptions: defaults, core NATS unless asked, JetStream defaults with a stream named after the prefix', () => {
  assert.deepEqual(resolveNatsLinkOptions(), { ...DEFAULT_NATS_LINK_OPTIONS, jetstream: false })
  const given = { prefix: 'my-app.v2', jetstream: { storage: 'memory' as const }, timeoutMs: 5 }
  const before = structuredClone(given)
  const resolved = resolveNatsLinkOptions(given)
  assert.deepEqual(resolved.jetstream, { ...DEFAULT_JETSTREAM_OPTIONS, storage: 'memory', stream: 'MY-APP_V2_REQUESTS' })
  assert.ok(Object.isFrozen(resolved) && Object.isFrozen(resolved.jetstream))
  assert.deepEqual(given, before, 'the caller’s object is not changed')
  assert.deepEqual(resolveNatsLinkOptions({ jetstream: true }).jetstream, { ...DEFAULT_JETSTREAM_OPTIONS, stream: 'GANGWAY_REQUESTS' })
  assert.deepEqual(resolveNatsBusOptions({ reconnectTimeWaitMs: 100 }), { ...DEFAULT_NATS_BUS_OPTIONS, reconnectTimeWaitMs: 100 })
})

test('resolveNatsLinkOptions / resolveNatsBusOptions: an invalid option throws CONFIG_INVALID naming it', () => {
  assert.throws(() => resolveNatsBusOptions({ pingIntervalMs: 0 }), invalid('pingIntervalMs'))
  assert.throws(() => resolveNatsBusOptions({ reconnectTimeWaitMs: -5 }), invalid('reconnectTimeWaitMs'))
  assert.throws(() => resolveNatsLinkOptions({ connectTimeoutMs: 2.5 }), invalid('connectTimeoutMs'))
  assert.throws(() => resolveNatsLinkOptions({ prefix: 'a.*' }), invalid('prefix'))
  assert.throws(() => resolveNatsLinkOptions({ jetstream: 'yes' as never }), invalid('jetstream'))
  assert.throws(() => resolveNatsLinkOptions({ jetstream: { ackWaitMs: 0 } }), invalid('jetstream.ackWaitMs'))
  assert.throws(() => resolveNatsLinkOptions({ jetstream: { maxDeliver: -1 } }), invalid('jetstream.maxDeliver'))
  assert.throws(() => resolveNatsLinkOptions({ jetstream: { storage: 'disk' as never } }), invalid('jetstream.storage'))
  assert.throws(() => resolveNatsLinkOptions({ jetstream: { stream: 'a.b' } }), invalid('jetstream.stream'))
})

test("natsTransport: wire 'nest' speaks core NATS only", () => {
  assert.throws(() => natsTransport('nats://127.0.0.1', { wire: 'nest', jetstream: true }), (err: { code?: string; message: string }) => err.code === 'CONFIG_INVALID' && err.message.includes('"jetstream"'))
})
