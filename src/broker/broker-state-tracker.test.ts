import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BrokerState } from './broker-state.js'
import { BrokerStateTracker } from './broker-state-tracker.js'

test('BrokerStateTracker: a watcher gets the current state first, then each change once; closed is final', () => {
  const tracker = new BrokerStateTracker()
  const early: BrokerState[] = []
  tracker.watch((s) => early.push(s))
  assert.deepEqual(early, [], 'nothing before the connection tried to connect')
  assert.equal(tracker.current, undefined)
  tracker.set('connecting')
  tracker.set('connected')
  tracker.set('connected')
  const late: BrokerState[] = []
  tracker.watch((s) => late.push(s))
  tracker.watch(() => {
    throw new Error('a broken watcher')
  })
  tracker.set('reconnecting')
  tracker.set('closed')
  tracker.set('connected')
  assert.deepEqual(early, ['connecting', 'connected', 'reconnecting', 'closed'])
  assert.deepEqual(late, ['connected', 'reconnecting', 'closed'])
  assert.equal(tracker.current, 'closed')
})

test('BrokerStateTracker.retrying: connecting until first connected, reconnecting after, with the cause', () => {
  const tracker = new BrokerStateTracker()
  const seen: Array<[BrokerState, string | undefined]> = []
  tracker.watch((state, error) => seen.push([state, error?.message]))
  tracker.retrying()
  tracker.retrying(new Error('refused')) // the first attempt failed: still connecting, reported once
  assert.equal(tracker.everConnected, false)
  tracker.set('connected')
  tracker.retrying(new Error('reset'))
  tracker.set('connected')
  tracker.set('disconnected')
  tracker.set('closed')
  tracker.retrying()
  assert.deepEqual(seen, [
    ['connecting', undefined],
    ['connected', undefined],
    ['reconnecting', 'reset'],
    ['connected', undefined],
    ['disconnected', undefined],
    ['closed', undefined],
  ])
  assert.equal(tracker.everConnected, true)
})
