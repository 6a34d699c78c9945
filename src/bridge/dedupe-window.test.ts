import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DedupeWindow } from './dedupe-window.js'

test('remembers requests by key, forgets the oldest beyond its size and anything older than its TTL', () => {
  const window = new DedupeWindow(2, 1000)
  window.set('a', { state: 'running' }, 0)
  window.set('b', { state: 'done', answer: undefined }, 10)
  assert.deepEqual(window.get('a', 20), { state: 'running' })
  window.set('c', { state: 'running' }, 30)
  assert.equal(window.get('a', 40), undefined, 'the oldest entry made room')
  assert.deepEqual(window.get('b', 40), { state: 'done', answer: undefined })
  assert.equal(window.get('c', 1031), undefined, 'expired')
  assert.equal(window.size, 1)
})

test('a window of size 0 remembers nothing', () => {
  const window = new DedupeWindow(0, 1000)
  window.set('a', { state: 'running' }, 0)
  assert.equal(window.get('a', 0), undefined)
})
