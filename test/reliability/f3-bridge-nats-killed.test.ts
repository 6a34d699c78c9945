// F3 — the NATS server behind the bridge killed with SIGKILL under paced request load, restarted
// after 3 s, and (second case) after 12 s: longer than 10 reconnect attempts at the link's 0.5–0.75 s
// spacing last, so a client left at nats.js's default (give up after 10 attempts) would be closed for good.
// Guarantee: every request id gets exactly one frame — its reply (data checked) or an error frame
// UNAVAILABLE / TIMEOUT — none hangs past its timeout, none is answered twice; every request sent
// later than 5 s after the restart succeeds; the gateway's pending map is back to 0. The gateway and
// the service use `natsTransport` with its defaults (only the server URL and a prefix are set).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { natsTransport } from '../../src/nats/index.js'
import { startPrivateNats } from '../helpers/cluster-brokers.js'
import { eventually } from '../helpers/start-gateway.js'
import { RequestLedger } from './ledger.js'
import { startPacedLoad } from './paced-load.js'

const CLIENTS = 8
const INTERVAL_MS = 25 // 8 × 40 = 320 requests per second
const TIMEOUT_MS = 2000
const RECOVERY_BOUND_MS = 5000
/** Requests sent after the recovery bound that must all succeed. */
const AFTER_BOUND = 500
const ALLOWED = new Set(['UNAVAILABLE', 'TIMEOUT'])
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

for (const outageMs of [3000, 12_000]) {
  test(`F3: NATS SIGKILLed under load, back after ${outageMs / 1000} s — one outcome per request, success back within 5 s`, { timeout: 90_000 }, async (t) => {
    const nats = await startPrivateNats(t.after.bind(t))
    const prefix = `f3-${process.pid}-${outageMs}`
    const transport = () => natsTransport(nats.url, { prefix })
    const gatewayTransport = transport()
    const { clients, app } = await startPacedLoad(t, { serviceTransport: transport(), gatewayTransport, pattern: 'f3.echo', timeoutMs: TIMEOUT_MS, clients: CLIENTS, intervalMs: INTERVAL_MS })

    await nats.kill()
    await sleep(outageMs)
    await nats.restart()
    const restartedAt = performance.now()
    await sleep(RECOVERY_BOUND_MS)
    // The open-loop load slows down with the machine: wait for enough requests after the bound, not for a fixed time.
    await eventually(() => clients.reduce((sum, c) => sum + c.sentAfter(restartedAt + RECOVERY_BOUND_MS), 0) > AFTER_BOUND, 60_000, `${AFTER_BOUND} requests sent after the recovery bound`)
    await Promise.all(clients.map((c) => c.drain(TIMEOUT_MS + 3000)))

    const ledger = RequestLedger.total(clients.map((c) => c.ledger))
    const outcomes = clients.flatMap((c) => c.outcomes)
    const byCode: Record<string, number> = {}
    for (const c of clients) for (const [code, n] of c.errors) byCode[code] = (byCode[code] ?? 0) + n
    const lateFailures = outcomes.filter((o) => o.code !== undefined && o.sentAt > restartedAt)
    const recoveredMs = lateFailures.length === 0 ? 0 : Math.max(...lateFailures.map((o) => o.sentAt)) - restartedAt
    const slowest = Math.max(...outcomes.map((o) => o.answeredAt - o.sentAt))
    t.diagnostic(
      `LEDGER ${JSON.stringify({ case: `F3 nats killed ${outageMs / 1000}s`, ...ledger, byCode, recoveredMs: Math.round(recoveredMs), slowestAnswerMs: Math.round(slowest), pendingAfter: gatewayTransport.pending, lateReplies: gatewayTransport.stats.lateReplies })}`,
    )

    assert.equal(ledger.lost, 0, 'every request has an outcome')
    assert.equal(ledger.duplicates + ledger.unexpected + ledger.mismatched, 0, 'no request answered twice or with another request’s data')
    for (const code of Object.keys(byCode)) assert.ok(ALLOWED.has(code), `unexpected error code ${code}`)
    assert.ok(ledger.reportedFailed > 0, 'the outage was felt')
    assert.ok(slowest <= TIMEOUT_MS + 1000, `no request hung: the slowest answer took ${Math.round(slowest)} ms`)
    assert.ok(recoveredMs <= RECOVERY_BOUND_MS, `success back to 100 % within 5 s of the restart (last failure sent ${Math.round(recoveredMs)} ms after it)`)
    const afterBound = outcomes.filter((o) => o.sentAt > restartedAt + RECOVERY_BOUND_MS)
    assert.ok(afterBound.length > AFTER_BOUND, `load kept flowing after recovery (${afterBound.length} requests)`)
    assert.equal(gatewayTransport.pending, 0, 'the gateway has nothing pending')
    assert.equal(app.brokers.get('bridge:nats'), 'connected', 'health sees the bridge connected again')
  })
}
