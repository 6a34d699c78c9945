import assert from 'node:assert/strict'
import { test } from 'node:test'
import { onReconnected } from './on-reconnected.js'

test('onReconnected fires once per return after a loss, never on the first connect', () => {
  let backs = 0
  const watch = onReconnected(() => backs++)
  for (const state of ['connecting', 'connected', 'connected'] as const) watch(state)
  assert.equal(backs, 0)
  for (const state of ['reconnecting', 'disconnected', 'connected', 'connected'] as const) watch(state)
  assert.equal(backs, 1)
  watch('reconnecting')
  watch('connected')
  assert.equal(backs, 2)
})
