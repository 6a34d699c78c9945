import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'

const serverScript = fileURLToPath(new URL('./helpers/stream-server.js', import.meta.url))

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)
  return Number(line?.[1] ?? 0) * 1024
}

async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url)
  await once(ws, 'open')
  return ws
}

function request(ws: WebSocket, event: string, data: unknown, id: number): Promise<unknown> {
  return new Promise((resolve) => {
    const onMessage = (raw: Buffer) => {
      const frame = JSON.parse(raw.toString())
      if (frame.id === id) {
        ws.off('message', onMessage)
        resolve(frame.data)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ event, data, id }))
  })
}

test('a client that stops reading is closed with 1013 while a reading client keeps up, in bounded memory', { timeout: 90_000 }, async (t) => {
  const server = fork(serverScript, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  t.after(() => server.kill('SIGKILL'))
  const [{ port }] = (await once(server, 'message')) as [{ port: number }]
  const url = `ws://127.0.0.1:${port}/ws`

  const slow = await open(url)
  await request(slow, 'join', 'feed', 1)
  slow.pause() // stops reading from the socket: the server's writes back up
  const slowClosed = once(slow, 'close')

  const fast = await open(url)
  await request(fast, 'join', 'feed', 1)
  let ticks = 0
  fast.on('message', (raw: Buffer) => {
    if (raw.length > 1000) ticks++ // a tick frame; replies and batch notices are small
    else if (raw.toString().includes('"batch"')) fast.send('{"event":"ack"}')
  })

  const baseline = rssBytes(server.pid!)
  let peak = baseline
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(server.pid!))), 20)
  const frames = 12_000
  const size = 16 * 1024 // 12,000 × 16 KiB ≈ 190 MiB through the room
  const result = await request(fast, 'start', { frames, size }, 2)
  clearInterval(sampler)

  assert.deepEqual(result, { sent: frames })
  t.diagnostic(`ticks=${ticks} growth=${((peak - baseline) / 2 ** 20).toFixed(1)} MiB baseline=${(baseline / 2 ** 20).toFixed(1)} MiB`)
  assert.equal(ticks, frames, 'the reading client received every frame')
  assert.equal(fast.readyState, WebSocket.OPEN)
  const growth = peak - baseline
  assert.ok(growth < 96 * 1024 * 1024, `server RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB while ~190 MiB went to a client that does not read`)

  slow.resume() // reads what the kernel buffered, then the close frame
  const [code, reason] = (await slowClosed) as [number, Buffer]
  assert.equal(code, 1013)
  assert.equal(reason.toString(), 'Outbox overflow')

  fast.close()
  server.send('stop')
  await once(server, 'exit')
})
