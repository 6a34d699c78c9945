import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_AMQP_LINK_OPTIONS, DEFAULT_MAX_BLOCKED_BYTES, resolveAmqpLinkOptions, resolveNestAmqpOptions } from './amqp-options.js'
import { amqpTransport } from './amqp-transport.js'

const invalid = (option: string) => (err: unknown) => (err as { code?: string }).code === 'CONFIG_INVALID' && (err as Error).message.includes(`"${option}"`)

test('resolveAmqpLinkOptions: defaults, a partial reconnect filled in, a new frozen object', () => {
  assert.deepEqual(resolveAmqpLinkOptions(), DEFAULT_AMQP_LINK_OPTIONS)
  assert.equal(DEFAULT_AMQP_LINK_OPTIONS.maxBlockedBytes, DEFAULT_MAX_BLOCKED_BYTES)
  const given = { reconnect: { initialDelayMs: 50 }, requestQueueExpiresMs: 30_000, persistEvents: false, logger: undefined }
  const before = structuredClone(given)
  const resolved = resolveAmqpLinkOptions(given)
  assert.deepEqual(resolved.reconnect, { initialDelayMs: 50, maxDelayMs: 5000 })
  assert.equal(resolved.requestQueueExpiresMs, 30_000)
  assert.equal(resolved.persistEvents, false)
  assert.ok(Object.isFrozen(resolved) && Object.isFrozen(resolved.reconnect))
  assert.deepEqual(given, before, 'the caller’s object is not changed')
  assert.equal(resolveAmqpLinkOptions({ maxBlockedBytes: 0, heartbeatSeconds: 0 }).maxBlockedBytes, 0, 'zero: refuse while blocked; no heartbeat')
})

test('resolveAmqpLinkOptions: an invalid option throws CONFIG_INVALID naming it', () => {
  assert.throws(() => resolveAmqpLinkOptions({ maxBlockedBytes: -1 }), invalid('maxBlockedBytes'))
  assert.throws(() => resolveAmqpLinkOptions({ heartbeatSeconds: 1.5 }), invalid('heartbeatSeconds'))
  assert.throws(() => resolveAmqpLinkOptions({ connectTimeoutMs: 0 }), invalid('connectTimeoutMs'))
  assert.throws(() => resolveAmqpLinkOptions({ reconnect: { initialDelayMs: 0 } }), invalid('reconnect.initialDelayMs'))
  assert.throws(() => resolveAmqpLinkOptions({ reconnect: { initialDelayMs: 500, maxDelayMs: 100 } }), invalid('reconnect.maxDelayMs'))
  assert.throws(() => resolveAmqpLinkOptions({ reconnect: 5 as never }), invalid('reconnect'))
  assert.throws(() => resolveAmqpLinkOptions({ persistRequests: 'yes' as never }), invalid('persistRequests'))
  assert.throws(() => resolveAmqpLinkOptions({ inboxExpiresMs: 0 }), invalid('inboxExpiresMs'))
  assert.throws(() => resolveAmqpLinkOptions({ requestQueueExpiresMs: -1 }), invalid('requestQueueExpiresMs'))
  assert.throws(() => resolveAmqpLinkOptions({ maxUnconfirmed: 0 }), invalid('maxUnconfirmed'))
  assert.throws(() => resolveAmqpLinkOptions({ prefix: 'has space' }), invalid('prefix'))
})

test("the NestJS wire's options: a queue is required, queueOptions copied and frozen; wire is 'gangway' or 'nest'", () => {
  const queueOptions = { durable: false }
  const resolved = resolveNestAmqpOptions({ queue: 'orders', queueOptions })
  assert.deepEqual(resolved, { queue: 'orders', queueOptions: { durable: false }, noAssert: false, persistent: false, expireRequests: false, maxUnconfirmed: 10_000 })
  assert.ok(Object.isFrozen(resolved) && Object.isFrozen(resolved.queueOptions) && resolved.queueOptions !== queueOptions)
  assert.throws(() => resolveNestAmqpOptions({}), invalid('queue'))
  assert.throws(() => resolveNestAmqpOptions({ queue: 'q', noAssert: 1 as never }), invalid('noAssert'))
  assert.throws(() => amqpTransport('amqp://127.0.0.1', { wire: 'nest' }), invalid('queue'))
  assert.throws(() => amqpTransport('amqp://127.0.0.1', { wire: 'nestjs' as never }), invalid('wire'))
})
