import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BrokerState } from '../observability/broker-state.js'
import { LinkState } from './link-state.js'

test('LinkState: a listener gets the current state first, then each change once; closed is final', () => {
  const state = new LinkState()
  const early: BrokerState[] = []
  state.watch((s) => early.push(s))
  assert.deepEqual(early, [], 'nothing before the link tried to connect')
  state.set('connecting')
  state.set('connected')
  state.set('connected')
  const late: BrokerState[] = []
  state.watch((s) => late.push(s))
  state.watch(() => {
    throw new Error('a broken listener')
  })
  state.set('reconnecting')
  state.set('closed')
  state.set('connected')
  assert.deepEqual(early, ['connecting', 'connected', 'reconnecting', 'closed'])
  assert.deepEqual(late, ['connected', 'reconnecting', 'closed'])
  assert.equal(state.current, 'closed')
})

test('LinkState.setPhase: connecting until first up, reconnecting after; idle reports nothing', () => {
  const state = new LinkState()
  const seen: BrokerState[] = []
  state.watch((s) => seen.push(s))
  state.setPhase('idle')
  state.setPhase('connecting')
  state.setPhase('down') // the first attempt failed: still connecting, not reconnecting
  state.setPhase('up')
  state.setPhase('down')
  state.setPhase('connecting')
  state.setPhase('up')
  state.setPhase('closed')
  state.setPhase('up')
  assert.deepEqual(seen, ['connecting', 'connected', 'reconnecting', 'connected', 'closed'])
})
