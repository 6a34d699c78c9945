import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RepublishOrder } from './republish-order.js'

function recorder(waitMs?: number): { order: RepublishOrder<number>; out: number[] } {
  const out: number[] = []
  return { order: new RepublishOrder<number>((seq) => out.push(seq), waitMs), out }
}

test('a message republished before its predecessor waits for it: stream order comes out', () => {
  const { order, out } = recorder()
  order.push(10, 0, 10)
  order.push(13, 12, 13) // 11 and 12 (published on another connection) still on their way
  order.push(12, 11, 12)
  assert.deepEqual(out, [10])
  order.push(11, 10, 11)
  assert.deepEqual(out, [10, 11, 12, 13])
  order.push(20, 13, 20) // other rooms' sequences in between: the chain still links
  assert.deepEqual(out, [10, 11, 12, 13, 20])
  order.close()
})

test('the first message after subscribing, a late one and a predecessor older than the last go out at once', () => {
  const { order, out } = recorder()
  order.push(50, 49, 50) // 49 came before the subscription
  order.push(48, 47, 48) // late: already past it, delivered rather than lost
  order.push(60, 40, 60) // its predecessor is older than the last delivered (expired in between)
  assert.deepEqual(out, [50, 48, 60])
  order.close()
})

test('a predecessor that never comes is given up after the wait, and the waiting go out in order', async () => {
  const { order, out } = recorder(20)
  order.push(1, 0, 1)
  order.push(4, 3, 4)
  order.push(3, 2, 3)
  assert.deepEqual(out, [1])
  const deadline = Date.now() + 2000
  while (out.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
  assert.deepEqual(out, [1, 3, 4])
  order.push(5, 4, 5)
  assert.deepEqual(out, [1, 3, 4, 5])
  order.close()
})

test('a stream that started over (a first message below the last) resets the position', () => {
  const { order, out } = recorder()
  order.push(100, 99, 100)
  order.push(1, 0, 1)
  order.push(3, 2, 3)
  order.push(2, 1, 2)
  assert.deepEqual(out, [100, 1, 2, 3])
  order.close()
})

test('reset delivers what waits and forgets the position (a reconnect)', () => {
  const { order, out } = recorder()
  order.push(1, 0, 1)
  order.push(5, 4, 5)
  order.reset()
  order.push(9, 8, 9)
  assert.deepEqual(out, [1, 5, 9])
  order.close()
})
