import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ReplayGate } from './replay-gate.js'

test('at most `concurrency` replays run; the next waits in order; a full queue says no at once', async () => {
  const gate = new ReplayGate(2, 1)
  const first = await gate.acquire()!
  const second = await gate.acquire()!
  const order: string[] = []
  const third = gate.acquire()!.then((release) => (order.push('third'), release))
  assert.equal(gate.acquire(), undefined, 'the queue holds one')
  assert.deepEqual([gate.running, gate.queued], [2, 1])
  first()
  first() // twice is once
  const release = await third
  assert.deepEqual(order, ['third'])
  assert.deepEqual([gate.running, gate.queued], [2, 0])
  second()
  release()
  assert.equal(gate.running, 0)
})
