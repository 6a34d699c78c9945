// F6 (core part; the cluster part comes with the cluster adapters) — a gateway node killed with
// SIGKILL while requests are in flight through it. Guarantee: every request a client sent is
// accounted for — answered before the kill, or the client saw its socket close while it was
// pending — none missing, none answered twice; those clients reconnect to a surviving node and
// resend what failed (same ids): all answered; the surviving node's own clients see nothing.
import assert from 'node:assert/strict'
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { RequestLedger } from './ledger.js'
import { LoadClient } from './load-client.js'

const nodeScript = fileURLToPath(new URL('./gateway-node.js', import.meta.url))
const CLIENTS = 20
const IN_FLIGHT = 25

async function startNode(t: { after(fn: () => void): void }): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(nodeScript, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  t.after(() => child.kill('SIGKILL'))
  const [{ port }] = (await once(child, 'message')) as [{ port: number }]
  return { child, url: `ws://127.0.0.1:${port}/ws` }
}

test(`F6 (one node): SIGKILL with ${CLIENTS * IN_FLIGHT} requests in flight — every request accounted for, survivors untouched`, { timeout: 60_000 }, async (t) => {
  const doomed = await startNode(t)
  const survivor = await startNode(t)
  const victims = Array.from({ length: CLIENTS }, (_, i) => new LoadClient(`v${i}`, IN_FLIGHT))
  const bystanders = Array.from({ length: CLIENTS }, (_, i) => new LoadClient(`b${i}`, IN_FLIGHT))
  await Promise.all([...victims.map((c) => c.connect(doomed.url)), ...bystanders.map((c) => c.connect(survivor.url))])
  for (const client of [...victims, ...bystanders]) client.start()
  await new Promise((resolve) => setTimeout(resolve, 500))

  doomed.child.kill('SIGKILL')
  await Promise.all(victims.map((c) => c.closed()))
  const atKill = RequestLedger.total(victims.map((c) => c.ledger))
  assert.ok(atKill.reportedFailed > 0, 'requests were in flight at the kill')
  assert.equal(atKill.lost, 0, 'every request of the killed node: answered before the kill or seen failing by its client')
  assert.equal(atKill.duplicates + atKill.unexpected + atKill.mismatched, 0)

  // The victims reconnect to the survivor and resend what failed, under the same ids.
  const retries = new RequestLedger()
  await Promise.all(
    victims.map(async (client) => {
      const ws = new WebSocket(survivor.url)
      ws.on('error', () => {})
      await once(ws, 'open')
      const done = new Promise<void>((resolve) => {
        let left = client.failedIds.length
        if (left === 0) resolve()
        ws.on('message', (raw: Buffer) => {
          const frame = JSON.parse(raw.toString()) as { id: string; data?: unknown; error?: unknown }
          retries.answered(frame.id, frame.data, frame.error !== undefined)
          if (--left === 0) resolve()
        })
      })
      for (const id of client.failedIds) {
        const n = Number(id.split('-')[1])
        retries.sent(id, n)
        ws.send(JSON.stringify({ event: 'slow', data: { ms: 1, n }, id }))
      }
      await done
      ws.close()
    }),
  )
  await Promise.all(bystanders.map((c) => c.drain()))
  const survivors = RequestLedger.total(bystanders.map((c) => c.ledger))
  const retried = retries.summary()
  assert.deepEqual(retried, { ...retried, accepted: atKill.reportedFailed, delivered: atKill.reportedFailed, reportedFailed: 0, lost: 0, duplicates: 0, unexpected: 0, mismatched: 0 })
  assert.deepEqual(survivors, { ...survivors, reportedFailed: 0, lost: 0, duplicates: 0, unexpected: 0, mismatched: 0 })
  assert.equal(survivors.delivered, survivors.accepted, 'the surviving node answered every request of its own clients')
  for (const client of bystanders) client.ws.close()
  survivor.child.send('stop')
  await once(survivor.child, 'exit')
  t.diagnostic(`ledger F6 killed node: ${JSON.stringify(atKill)}`)
  t.diagnostic(`ledger F6 resent to survivor: ${JSON.stringify(retried)}`)
  t.diagnostic(`ledger F6 survivor's own clients: ${JSON.stringify(survivors)}`)
})
