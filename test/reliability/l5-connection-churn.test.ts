// L5 — connection churn. Guarantee: 1,500 short-lived connections (handshake with a token,
// join a room, one request, close; some torn down without a close frame, some refused at the
// handshake) leave nothing behind: connections, room memberships and file descriptors return to
// exactly their baseline, and the heap after GC to within 10 % (or 1 MiB). Counts: opened = released.
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'

const nodeScript = fileURLToPath(new URL('./gateway-node.js', import.meta.url))
const CYCLES = Number(process.env.L5_CYCLES ?? 1500)
const CONCURRENCY = 25

interface Stats {
  connections: number
  memberships: number
  fds: number
  heapUsed: number
}

/** One connection's life: connect, join, one request, then close (or vanish). Resolves with what happened. */
async function cycle(url: string, i: number): Promise<'closed' | 'vanished' | 'refused'> {
  const token = i % 10 === 9 ? 'forged' : 'valid'
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, localAddress: `127.0.3.${1 + (i % 4)}` })
  ws.on('error', () => {})
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true))
    ws.once('unexpected-response', (_req, res) => {
      assert.equal(res.statusCode, 401)
      resolve(false)
    })
  })
  if (!opened) return 'refused'
  const answers = new Map<number, unknown>()
  const answered = new Promise<void>((resolve) =>
    ws.on('message', (raw: Buffer) => {
      const frame = JSON.parse(raw.toString()) as { id: number; data: unknown }
      answers.set(frame.id, frame.data)
      if (answers.size === 2) resolve()
    }),
  )
  ws.send(JSON.stringify({ event: 'join', data: 'churn', id: 1 }))
  ws.send(JSON.stringify({ event: 'echo', data: i, id: 2 }))
  await answered
  assert.equal(answers.get(1), 'churn')
  assert.equal(answers.get(2), i)
  if (i % 5 === 4) {
    ws.terminate() // no close frame: the server sees the TCP connection end
    return 'vanished'
  }
  ws.close()
  await once(ws, 'close')
  return 'closed'
}

test(`L5: ${CYCLES} connect/auth/join/request/close cycles leave connections, rooms and descriptors at their baseline`, { timeout: 90_000 }, async (t) => {
  const child = fork(nodeScript, { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  t.after(() => child.kill('SIGKILL'))
  const [{ port }] = (await once(child, 'message')) as [{ port: number }]
  const url = `ws://127.0.0.1:${port}/ws`
  const stats = async (): Promise<Stats> => {
    child.send('stats')
    return ((await once(child, 'message')) as [Stats])[0]
  }
  // Warm up with a first round (the first connections grow pools, maps and JIT code by ~0.7 MB,
  // whatever the count afterwards), then take the baseline: what the test measures is a leak per cycle.
  let warm = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (warm < 1000) await cycle(url, warm++ * 10)
  }))
  await new Promise((resolve) => setTimeout(resolve, 200))
  const baseline = await stats()

  const outcomes = { closed: 0, vanished: 0, refused: 0 }
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CYCLES) outcomes[await cycle(url, next++)]++
    }),
  )
  const seconds = (performance.now() - started) / 1000
  let after = await stats()
  for (let i = 0; i < 50 && (after.connections !== baseline.connections || after.fds > baseline.fds); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    after = await stats()
  }
  t.diagnostic(`L5: ${CYCLES} cycles in ${seconds.toFixed(1)} s (${(CYCLES / seconds).toFixed(0)}/s): ${JSON.stringify(outcomes)}; baseline ${JSON.stringify(baseline)}; after ${JSON.stringify(after)}`)
  assert.equal(outcomes.closed + outcomes.vanished + outcomes.refused, CYCLES)
  assert.equal(outcomes.refused, CYCLES / 10, 'every forged token refused with 401')
  assert.equal(after.connections, baseline.connections, 'connections back to baseline')
  assert.equal(after.memberships, baseline.memberships, 'room memberships back to baseline')
  assert.ok(after.fds <= baseline.fds, `descriptors back to baseline (${baseline.fds} → ${after.fds})`)
  // A ~6 MB heap moves by ±5 % between GCs whatever happened (16,000 cycles in 8 rounds showed no trend): 10 % or 1 MiB.
  const allowed = Math.max(baseline.heapUsed * 0.1, 2 ** 20)
  assert.ok(after.heapUsed <= baseline.heapUsed + allowed, `heap after GC back to baseline (${baseline.heapUsed} → ${after.heapUsed})`)
  child.send('stop')
  await once(child, 'exit')
})
