import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GatewayError } from '../errors/gateway-error.js'
import { DEFAULT_LIMITS } from '../protocol/limit-options.js'
import { DEFAULT_OUTBOX } from '../connection/connection-options.js'
import { defaultUserId, resolveOptions } from './gateway-options.js'

test('applies defaults and freezes the result without touching the input', () => {
  const input = { gateways: [], limits: { maxPayload: 4096 } }
  const resolved = resolveOptions(input)
  assert.equal(resolved.limits.maxPayload, 4096)
  assert.equal(resolved.limits.maxDepth, DEFAULT_LIMITS.maxDepth)
  assert.deepEqual(resolved.outbox, DEFAULT_OUTBOX)
  assert.equal(resolved.origins, 'same-origin')
  assert.ok(Object.isFrozen(resolved) && Object.isFrozen(resolved.limits))
  assert.deepEqual(input, { gateways: [], limits: { maxPayload: 4096 } })
})

test('rejects impossible options with CONFIG_INVALID naming the option', () => {
  const bad: Array<[object, string]> = [
    [{ limits: { maxPayload: 0 } }, 'limits.maxPayload'],
    [{ limits: { maxPayload: 1.5 } }, 'limits.maxPayload'],
    [{ outbox: { onOverflow: 'explode' } }, 'outbox.onOverflow'],
    [{ rateLimit: { messagesPerSecond: -1 } }, 'rateLimit.messagesPerSecond'],
    [{ heartbeat: { intervalMs: 0 } }, 'heartbeat.intervalMs'],
    [{ origins: 42 }, 'origins'],
    [{ nodeId: 'has space' }, 'nodeId'],
    [{ messageGuards: ['nope'] }, 'messageGuards'],
    [{ handshakeTimeoutMs: -5 }, 'handshakeTimeoutMs'],
    [{ maxConnectionsPerAddress: 0 }, 'maxConnectionsPerAddress'],
    [{ clientAddress: 'x-forwarded-for' }, 'clientAddress'],
    [{ headersTimeoutMs: 0 }, 'headersTimeoutMs'],
    [{ sessionExpiry: { onExpiry: 'ignore' } }, 'sessionExpiry.onExpiry'],
    [{ sessionExpiry: { expiresAt: 3600 } }, 'sessionExpiry.expiresAt'],
  ]
  for (const [options, name] of bad) {
    assert.throws(
      () => resolveOptions({ gateways: [], ...options } as never),
      (err: unknown) => err instanceof GatewayError && err.code === 'CONFIG_INVALID' && err.message.includes(`"${name}"`),
      name,
    )
  }
  assert.throws(() => resolveOptions({} as never), /gateways/)
})

test('rate limit and heartbeat can be turned off', () => {
  const resolved = resolveOptions({ gateways: [], rateLimit: false, heartbeat: false })
  assert.equal(resolved.rateLimit, false)
  assert.equal(resolved.heartbeat, false)
})

test('the default user id comes from id, sub, or a string principal', () => {
  assert.equal(defaultUserId({ id: 7 }), '7')
  assert.equal(defaultUserId({ sub: 'ada' }), 'ada')
  assert.equal(defaultUserId('grace'), 'grace')
  assert.equal(defaultUserId({ name: 'x' }), undefined)
  assert.equal(defaultUserId(null), undefined)
})

test('edge defaults: 1000 sockets per address, 10 s to send headers, JWT expiry closing at the instant', () => {
  const resolved = resolveOptions({ gateways: [] })
  assert.equal(resolved.maxConnectionsPerAddress, 1000)
  assert.equal(resolved.headersTimeoutMs, 10_000)
  assert.ok(resolved.sessionExpiry)
  assert.equal(resolved.sessionExpiry.onExpiry, 'close')
  assert.equal(resolved.sessionExpiry.expiresAt({ sub: 'ada', exp: 1_900_000_000 }), 1_900_000_000_000)
  assert.equal(resolved.sessionExpiry.expiresAt({ sub: 'ada' }), undefined)
  const off = resolveOptions({ gateways: [], maxConnectionsPerAddress: false, sessionExpiry: false })
  assert.equal(off.maxConnectionsPerAddress, false)
  assert.equal(off.sessionExpiry, false)
})
