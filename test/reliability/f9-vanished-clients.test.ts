// F9 — clients that vanish without a close frame. Guarantee: when the process holding 300
// sockets is killed (its connections reset), every one of them is released: the registry, the
// room and the per-address counts return to exactly their size before. Counts: opened = released.
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { eventually, startGateway } from '../helpers/start-gateway.js'
import { herd, holderScript } from './herd.js'

const SOCKETS = 300

test(`F9: ${SOCKETS} sockets reset by a killed process are all released, registry back to its size before`, { timeout: 60_000 }, async (t) => {
  // A long heartbeat: the release must come from the reset itself, not from the reaper.
  const gw = await startGateway(t, { gateways: [herd], heartbeat: { intervalMs: 60_000 } })
  const bystander = await gw.connect()
  await bystander.request('join', 'herd')
  const before = { connections: gw.app.connectionCount, herd: gw.app.server().roomSize('herd'), addresses: gw.app.addressLimiter!.addresses }

  const child = fork(holderScript, [gw.url(), String(SOCKETS), '127.0.0.6'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  t.after(() => child.kill('SIGKILL'))
  await once(child, 'message')
  assert.equal(gw.app.connectionCount, before.connections + SOCKETS)
  assert.equal(gw.app.server().roomSize('herd'), before.herd + SOCKETS)
  assert.equal(gw.app.addressLimiter!.count('127.0.0.6'), SOCKETS)

  child.send('pause')
  await once(child, 'message')
  gw.app.server().to('herd').emit('unread', 'x'.repeat(1000)) // sits unread in the frozen receive buffers
  const killedAt = performance.now()
  child.kill('SIGKILL')
  await once(child, 'exit')
  await eventually(() => gw.app.connectionCount === before.connections, 10_000, 'every vanished connection released')
  const releasedMs = performance.now() - killedAt
  assert.equal(gw.app.server().roomSize('herd'), before.herd)
  assert.equal(gw.app.addressLimiter!.count('127.0.0.6'), 0)
  assert.equal(gw.app.addressLimiter!.addresses, before.addresses)
  assert.equal((await bystander.request('echo', 'still here')).data, 'still here')
  t.diagnostic(`ledger F9: opened=${SOCKETS} released=${SOCKETS} leaked=0 in ${releasedMs.toFixed(0)} ms (heartbeat not involved)`)
})
