// CVE-2026-48779 / CVE-2026-62389 shapes against a gateway in its own process, so its memory can
// be measured. Guarantee: 1-byte continuation floods are cut off at limits.maxFragments with 1008,
// and what an attacker can make the server hold stays far below maxPayload per socket — memory
// does not grow with the number of fragments sent.
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { DEFAULT_LIMITS, defineGateway } from '../../src/index.js'
import { startGateway } from '../helpers/start-gateway.js'
import { encodeFrame, Op, RawWebSocket } from './raw-websocket.js'

const serverScript = fileURLToPath(new URL('../helpers/stream-server.js', import.meta.url))
const MiB = 2 ** 20

function rss(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0) * 1024
}

/** A text message opened and followed by `count` 1-byte continuation frames, never finished. */
function unfinished(count: number): Buffer {
  const one = encodeFrame({ opcode: Op.continuation, fin: false, payload: 'x' })
  const frames = [encodeFrame({ opcode: Op.text, fin: false, payload: 'x' })]
  for (let i = 0; i < count; i++) frames.push(one)
  return Buffer.concat(frames)
}

test('1-byte continuation floods: 20 sockets × 200,000 fragments are each closed with 1008, memory independent of the count', { timeout: 60_000 }, async (t) => {
  const server = fork(serverScript, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  t.after(() => server.kill('SIGKILL'))
  const [{ port }] = (await once(server, 'message')) as [{ port: number }]
  const flood = unfinished(200_000)
  const baseline = rss(server.pid!)
  let peak = baseline
  const sampler = setInterval(() => (peak = Math.max(peak, rss(server.pid!))), 10)
  const codes = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const socket = await RawWebSocket.open(port)
      socket.write(flood)
      await socket.until(() => socket.closeCode !== undefined || socket.closed, 20_000, 'the close frame')
      socket.destroy()
      return socket.closeCode
    }),
  )
  clearInterval(sampler)
  assert.deepEqual(codes, Array(20).fill(1008))
  const growth = peak - baseline
  t.diagnostic(`4,000,000 one-byte fragments sent over 20 sockets: peak RSS growth ${(growth / MiB).toFixed(1)} MiB (${(growth / 20 / 1024).toFixed(0)} KiB per socket)`)
  // Without maxFragments each socket would hold 200,000 × ~250 B = ~50 MB; the bound is 2 × maxPayload.
  assert.ok(growth < 20 * 2 * DEFAULT_LIMITS.maxPayload, `RSS grew ${(growth / MiB).toFixed(1)} MiB: more than 2 × maxPayload per attacking socket`)
  server.send('stop')
  await once(server, 'exit')
})

test('incomplete fragmented messages held open at the fragment limit: 200 sockets cost tens of KiB each, not maxPayload; the server still answers', { timeout: 60_000 }, async (t) => {
  const server = fork(serverScript, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  t.after(() => server.kill('SIGKILL'))
  const [{ port }] = (await once(server, 'message')) as [{ port: number }]
  const fragments = DEFAULT_LIMITS.maxFragments - 1 // the most a socket may hold without being closed
  // Connections alone first, so the growth measured is what the held fragments cost.
  const sockets = await Promise.all(Array.from({ length: 200 }, () => RawWebSocket.open(port)))
  const baseline = rss(server.pid!)
  await Promise.all(
    sockets.map(async (socket) => {
      socket.write(unfinished(fragments - 1))
      // A ping after the fragments: its pong proves the server parsed every one of them.
      socket.send({ opcode: Op.ping, payload: 'parsed?' })
      await socket.until(() => socket.count(Op.pong) === 1, 20_000, 'the pong')
    }),
  )
  const growth = rss(server.pid!) - baseline
  t.diagnostic(`200 sockets each holding an unfinished message of ${fragments} one-byte fragments: RSS growth ${(growth / MiB).toFixed(1)} MiB (${(growth / 200 / 1024).toFixed(1)} KiB per socket)`)
  assert.ok(growth < 200 * 64 * 1024, `RSS grew ${(growth / MiB).toFixed(1)} MiB for 200 sockets: over 64 KiB each`)
  for (const socket of sockets) assert.equal(socket.closeCode, undefined)
  // The messages were never finished, so no answer is due; finishing one gets its answer.
  const one = sockets[0]!
  one.send({ opcode: Op.continuation, payload: '' })
  await one.until(() => one.count(Op.text) === 1, 5000, 'an answer once the message is finished')
  assert.match(one.texts()[0]!, /BAD_FRAME/)
  for (const socket of sockets) socket.destroy()
  server.send('stop')
  await once(server, 'exit')
})

test('a frame trickled one byte per TCP packet is cut off at limits.maxBufferedChunks with 1008', { timeout: 30_000 }, async (t) => {
  const gw = await startGateway(t, { gateways: [defineGateway({ path: '/ws' }).subscribe('echo', (d) => d)], limits: { maxBufferedChunks: 64 } })
  const socket = await RawWebSocket.open(gw.port)
  socket.socket.setNoDelay(true)
  // A header announcing 64 KiB, then the masked payload one byte per write, paced so each arrives alone.
  const frame = encodeFrame({ opcode: Op.text, payload: Buffer.alloc(64 * 1024, 0x20) })
  socket.write(frame.subarray(0, 8))
  let sent = 8
  while (!socket.closed && socket.closeCode === undefined && sent < 8 + 2000) {
    socket.write(frame.subarray(sent, sent + 1))
    sent++
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  await socket.until(() => socket.closeCode !== undefined, 5000, 'the close frame')
  assert.equal(socket.closeCode, 1008)
  t.diagnostic(`closed with 1008 after ${sent - 8} one-byte packets`)
  socket.destroy()
  const other = await RawWebSocket.open(gw.port)
  other.send({ opcode: Op.text, payload: '{"event":"echo","data":1,"id":1}' })
  await other.until(() => other.count(Op.text) === 1, 5000, 'the echo')
  other.destroy()
})
