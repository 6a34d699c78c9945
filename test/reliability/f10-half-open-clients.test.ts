// F10 — half-open clients. Guarantee: when the process holding 200 sockets is frozen (SIGSTOP:
// no FIN, no RST, no pong), the heartbeat terminates every one of them within 2 intervals of the
// freeze, and the registry returns to its size before. Counts: frozen = terminated.
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { eventually, startGateway } from '../helpers/start-gateway.js'
import { herd, holderScript } from './herd.js'

const SOCKETS = 200
const INTERVAL_MS = 1000

test(`F10: ${SOCKETS} half-open sockets (SIGSTOP) are terminated by the heartbeat within 2 intervals`, { timeout: 60_000 }, async (t) => {
  const closedAt: number[] = []
  const gw = await startGateway(t, {
    gateways: [herd],
    heartbeat: { intervalMs: INTERVAL_MS },
    observers: [{ connectionClosed: () => void closedAt.push(performance.now()) }],
  })
  const bystander = await gw.connect()
  // The bystander sits in one heartbeat slice: its pings give the rounds the gateway really ran.
  const pingsAt: number[] = []
  bystander.ws.on('ping', () => pingsAt.push(performance.now()))
  await bystander.request('join', 'herd')
  const before = { connections: gw.app.connectionCount, herd: gw.app.server().roomSize('herd') }

  const child = fork(holderScript, [gw.url(), String(SOCKETS), '127.0.0.7'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  t.after(() => {
    child.kill('SIGCONT')
    child.kill('SIGKILL')
  })
  await once(child, 'message')
  assert.equal(gw.app.connectionCount, before.connections + SOCKETS)

  // Every ping the gateway wrote before `silentFrom` is answered once the holder syncs; after the freeze none is.
  const silentFrom = performance.now()
  child.send('sync')
  await once(child, 'message')
  const frozenAt = performance.now()
  child.kill('SIGSTOP')
  await eventually(() => gw.app.connectionCount === before.connections, 10 * INTERVAL_MS, 'every frozen connection terminated')
  const last = Math.max(...closedAt) - frozenAt
  const first = Math.min(...closedAt) - silentFrom
  const rounds = pingsAt.slice(1).map((at, i) => at - pingsAt[i]!)
  const longestRound = Math.max(INTERVAL_MS, ...rounds)
  assert.equal(closedAt.length, SOCKETS, 'exactly the frozen connections closed; the live bystander stayed')
  assert.ok(first >= INTERVAL_MS * 0.9, `nobody is reaped before one silent interval (first after ${first.toFixed(0)} ms)`)
  // 2 intervals as the gateway actually ran them, plus the time the beat takes to terminate 200 sockets.
  assert.ok(last <= 2 * longestRound + 400, `all reaped within 2 intervals of the freeze (last after ${last.toFixed(0)} ms; longest round ${longestRound.toFixed(0)} ms)`)
  assert.equal(gw.app.server().roomSize('herd'), before.herd)
  assert.equal((await bystander.request('echo', 'alive')).data, 'alive')
  child.kill('SIGCONT')
  child.kill('SIGKILL')
  await once(child, 'exit')
  t.diagnostic(`ledger F10: frozen=${SOCKETS} terminated=${closedAt.length} leaked=0; reaped ${first.toFixed(0)}–${last.toFixed(0)} ms after SIGSTOP (interval ${INTERVAL_MS} ms)`)
})
