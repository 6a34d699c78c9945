import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { AddressLimiter } from './address-limiter.js'

const closed = (socket: PassThrough) => new Promise<void>((resolve) => socket.once('close', () => setImmediate(resolve)))

test('refuses the address over its limit, others still pass, and a closed socket frees its slot', async () => {
  const limiter = new AddressLimiter(2)
  const [a, b, c] = [new PassThrough(), new PassThrough(), new PassThrough()]
  assert.equal(limiter.tryAcquire('127.0.0.2', a), true)
  assert.equal(limiter.tryAcquire('127.0.0.2', b), true)
  assert.equal(limiter.tryAcquire('127.0.0.2', c), false)
  assert.equal(limiter.tryAcquire('127.0.0.3', c), true)
  assert.equal(limiter.count('127.0.0.2'), 2)
  const done = closed(a)
  a.destroy()
  await done
  assert.equal(limiter.count('127.0.0.2'), 1)
  assert.equal(limiter.tryAcquire('127.0.0.2', new PassThrough()), true)
})

test('forgets an address once its last socket closes (the map does not grow with every address ever seen)', async () => {
  const limiter = new AddressLimiter(10)
  const sockets = Array.from({ length: 50 }, (_, i) => {
    const socket = new PassThrough()
    limiter.tryAcquire(`10.0.0.${i}`, socket)
    return socket
  })
  assert.equal(limiter.addresses, 50)
  await Promise.all(sockets.map((socket) => {
    const done = closed(socket)
    socket.destroy()
    return done
  }))
  assert.equal(limiter.addresses, 0)
})

test('a socket that is already destroyed takes no slot', () => {
  const limiter = new AddressLimiter(1)
  const gone = new PassThrough()
  gone.destroy()
  assert.equal(limiter.tryAcquire('x', gone), true)
  assert.equal(limiter.count('x'), 0)
})
