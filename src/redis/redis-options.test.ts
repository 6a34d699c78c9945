import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_REDIS_BUS_OPTIONS, DEFAULT_REDIS_LINK_OPTIONS, resolveRedisBusOptions, resolveRedisLinkOptions } from './redis-options.js'

const invalid = (option: string) => (err: unknown) => (err as { code?: string }).code === 'CONFIG_INVALID' && (err as Error).message.includes(`"${option}"`)

test('resolveRedisLinkOptions: the defaults, the caller’s values over them, a new frozen object; unknown fields left out', () => {
  assert.deepEqual(resolveRedisLinkOptions(), DEFAULT_REDIS_LINK_OPTIONS)
  const given = { prefix: 'chat', claimIdleMs: 500, blockMs: undefined, timeoutMs: 10, id: 'node1' }
  const before = structuredClone(given)
  const resolved = resolveRedisLinkOptions(given)
  assert.deepEqual(resolved, { ...DEFAULT_REDIS_LINK_OPTIONS, prefix: 'chat', claimIdleMs: 500 })
  assert.ok(Object.isFrozen(resolved))
  assert.deepEqual(given, before, 'the caller’s object is not changed')
  assert.ok(Object.isFrozen(DEFAULT_REDIS_LINK_OPTIONS) && Object.isFrozen(DEFAULT_REDIS_BUS_OPTIONS))
})

test('resolveRedisLinkOptions / resolveRedisBusOptions: an invalid option throws CONFIG_INVALID naming it', () => {
  assert.throws(() => resolveRedisLinkOptions({ claimIdleMs: 0 }), invalid('claimIdleMs'))
  assert.throws(() => resolveRedisLinkOptions({ claimIntervalMs: 1.5 }), invalid('claimIntervalMs'))
  assert.throws(() => resolveRedisLinkOptions({ blockMs: -1 }), invalid('blockMs'))
  assert.throws(() => resolveRedisLinkOptions({ connectTimeoutMs: Number.NaN }), invalid('connectTimeoutMs'))
  assert.throws(() => resolveRedisLinkOptions({ prefix: '' }), invalid('prefix'))
  assert.throws(() => resolveRedisLinkOptions({ prefix: 'a b' }), invalid('prefix'))
  assert.throws(() => resolveRedisLinkOptions({ maxReconnectDelayMs: 0 }), invalid('maxReconnectDelayMs'))
  assert.throws(() => resolveRedisBusOptions({ maxReconnectDelayMs: '2000' as unknown as number }), invalid('maxReconnectDelayMs'))
  assert.throws(() => resolveRedisBusOptions(null as never), invalid('options'))
  assert.deepEqual(resolveRedisBusOptions({ maxReconnectDelayMs: 500 }), { maxReconnectDelayMs: 500 })
})
