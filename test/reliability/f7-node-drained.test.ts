// F7 (core part) — SIGTERM to a gateway node under load. Guarantee: requests the node accepted
// before the signal are answered (in-flight handlers finish); frames arriving while it drains get
// UNAVAILABLE with their id; the socket then closes with 1001, and anything sent after that is
// seen failing by its client. accepted = delivered + reported failed, none lost; the process
// exits 0 within the drain timeout.
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { RequestLedger } from './ledger.js'
import { LoadClient } from './load-client.js'

const nodeScript = fileURLToPath(new URL('./gateway-node.js', import.meta.url))

test('F7 (one node): SIGTERM under load — in-flight requests answered, the rest UNAVAILABLE or seen failing, close 1001, exit 0', { timeout: 60_000 }, async (t) => {
  const child = fork(nodeScript, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  t.after(() => child.kill('SIGKILL'))
  const [{ port }] = (await once(child, 'message')) as [{ port: number }]
  const clients = Array.from({ length: 20 }, (_, i) => new LoadClient(`c${i}`, 25))
  await Promise.all(clients.map((c) => c.connect(`ws://127.0.0.1:${port}/ws`)))
  for (const client of clients) client.start()
  await new Promise((resolve) => setTimeout(resolve, 500))

  const signalledAt = performance.now()
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await Promise.all(clients.map((c) => c.closed()))
  const [code] = (await exited) as [number]
  const exitMs = performance.now() - signalledAt
  const ledger = RequestLedger.total(clients.map((c) => c.ledger))
  const unavailable = clients.reduce((n, c) => n + (c.errors.get('UNAVAILABLE') ?? 0), 0)
  const otherErrors = clients.flatMap((c) => [...c.errors.keys()].filter((k) => k !== 'UNAVAILABLE'))

  assert.equal(code, 0, 'the node exits 0')
  assert.ok(exitMs < 5000 + 2000, `exited ${exitMs.toFixed(0)} ms after SIGTERM`)
  assert.deepEqual(clients.map((c) => c.closeCode), Array(20).fill(1001), 'every socket closed with 1001')
  assert.ok(unavailable > 0, 'frames that arrived during the drain were answered UNAVAILABLE')
  assert.deepEqual(otherErrors, [])
  assert.equal(ledger.lost, 0)
  assert.equal(ledger.duplicates + ledger.unexpected + ledger.mismatched, 0)
  assert.equal(ledger.accepted, ledger.delivered + ledger.reportedFailed)
  t.diagnostic(`ledger F7: ${JSON.stringify(ledger)} unavailable=${unavailable} closedPending=${ledger.reportedFailed - unavailable} exit=${code} after ${exitMs.toFixed(0)} ms`)
})
