import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BrokerState } from '../broker/broker-state.js'
import { healthReport } from './health.js'

const source = (draining: boolean, brokers: Record<string, BrokerState>) => ({ draining, connectionCount: 3, brokers: new Map(Object.entries(brokers)) })

test('ready, degraded by a broker, draining', () => {
  assert.deepEqual(healthReport(source(false, {})), { status: 'ready', ready: true, draining: false, connections: 3, brokers: {} })
  const degraded = healthReport(source(false, { 'cluster:redis': 'connected', 'bridge:amqp': 'reconnecting' }))
  assert.equal(degraded.status, 'degraded')
  assert.equal(degraded.ready, false)
  assert.deepEqual(degraded.brokers, { 'cluster:redis': 'connected', 'bridge:amqp': 'reconnecting' })
  assert.equal(healthReport(source(false, { 'bridge:amqp': 'reconnecting' }), { requireBrokers: false }).ready, true)
  const draining = healthReport(source(true, { 'cluster:redis': 'connected' }))
  assert.equal(draining.status, 'draining')
  assert.equal(draining.ready, false)
  assert.equal(healthReport(source(true, {}), { requireBrokers: false }).ready, false)
})
