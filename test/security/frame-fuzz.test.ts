// Guarantee: every hostile frame gets an answer — an error frame (or reply, or pong) on a
// connection that stays usable, or the documented close code — the process never crashes,
// keeps serving a bystander, and Object.prototype stays clean. Counts: sent = answered, 0 silent.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { defineGateway, DEFAULT_MAX_PAYLOAD } from '../../src/index.js'
import { startGateway, eventually } from '../helpers/start-gateway.js'
import { answeredCorpus, closingCorpus, type AnsweredCase, type Answer } from './frame-corpus.js'
import { encodeFrame, Op, RawWebSocket, seededRandom } from './raw-websocket.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261125)
const ANSWERED = Number(process.env.FUZZ_ANSWERED ?? 6000)
const CLOSING = Number(process.env.FUZZ_CLOSING ?? 1200)
const echo = defineGateway({ path: '/ws' }).subscribe('echo', (data) => data)

function matches(raw: string, expected: Answer): boolean {
  const frame = JSON.parse(raw) as { event: string; error?: { code: string } }
  return expected === 'reply' ? frame.event === 'echo' && frame.error === undefined : frame.error?.code === expected
}

/** A bystander that keeps asking for echoes while the fuzz runs; every request must be answered. */
async function bystander(gw: Awaited<ReturnType<typeof startGateway>>) {
  const socket = await gw.connect()
  let asked = 0
  let answered = 0
  let running = true
  const loop = (async () => {
    while (running && socket.ws.readyState === socket.ws.OPEN) {
      asked++
      const reply = await socket.request('echo', asked, 10_000).catch(() => undefined)
      if (reply?.data === asked) answered++
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return { asked, answered }
    },
  }
}

test('ws is at least 8.21.1 (fragment-flood fixes: CVE-2026-48779, CVE-2026-62389)', () => {
  const { version } = createRequire(import.meta.url)('ws/package.json') as { version: string }
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number]
  assert.ok(major > 8 || (major === 8 && (minor > 21 || (minor === 21 && patch >= 1))), `ws ${version}`)
})

test(`fuzz: ${ANSWERED} hostile frames a connection survives each get their documented answer, in order`, { timeout: 120_000 }, async (t) => {
  const gw = await startGateway(t, { gateways: [echo], rateLimit: false })
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort()
  // The corpus is built (seconds of synchronous work) before the bystander starts: the bystander
  // measures whether the server keeps serving while it parses the fuzz, not this test's own set-up.
  const random = seededRandom(SEED)
  const corpus = answeredCorpus(random, ANSWERED)
  const families = new Map<string, number>()
  for (const c of corpus) families.set(c.family, (families.get(c.family) ?? 0) + 1)
  const lanes = 8
  const laneCases: AnsweredCase[][] = Array.from({ length: lanes }, (_, lane) => corpus.filter((_c, i) => i % lanes === lane))
  const laneBytes = laneCases.map((cases) => Buffer.concat(cases.flatMap((c) => c.frames.map(encodeFrame))))
  const watch = await bystander(gw)

  let silent = 0
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      const cases = laneCases[lane]!
      const socket = await RawWebSocket.open(gw.port)
      t.after(() => socket.destroy())
      const expected = cases.filter((c) => c.answer !== null)
      const pongs = cases.reduce((n, c) => n + c.pongs, 0)
      // Written in random slices, so frames reach the server split at any byte.
      await socket.writeInPieces(laneBytes[lane]!, random, 64 * 1024)
      try {
        await socket.until(() => socket.count(Op.text) >= expected.length && socket.count(Op.pong) >= pongs, 60_000, `lane ${lane} answers`)
      } catch (err) {
        silent += expected.length - socket.count(Op.text)
        throw err
      }
      assert.equal(socket.closeCode, undefined, 'the connection survived every frame')
      const texts = socket.texts()
      assert.equal(texts.length, expected.length, 'exactly one text answer per message')
      assert.equal(socket.count(Op.pong), pongs, 'one pong per ping')
      for (let i = 0; i < expected.length; i++) {
        assert.ok(matches(texts[i]!, expected[i]!.answer!), `${expected[i]!.family}: expected ${expected[i]!.answer}, got ${texts[i]!.slice(0, 200)}`)
      }
    }),
  )
  const { asked, answered } = await watch.stop()
  assert.equal(answered, asked, 'the bystander got every answer')
  assert.equal(silent, 0)
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore)
  t.diagnostic(`seed=${SEED} cases=${corpus.length} families=${families.size} bystander=${answered}/${asked}`)
  t.diagnostic(JSON.stringify(Object.fromEntries(families)))
})

test(`fuzz: ${CLOSING} protocol violations each end their connection with the documented close code`, { timeout: 120_000 }, async (t) => {
  // One connection per case, all from 127.0.0.1: more handshakes than the per-address rate allows.
  const gw = await startGateway(t, { gateways: [echo], rateLimit: false, handshakeRateLimit: false })
  const random = seededRandom(SEED + 1)
  const corpus = closingCorpus(random, CLOSING, DEFAULT_MAX_PAYLOAD) // before the bystander, as above
  const watch = await bystander(gw)
  const observed = new Map<string, number>()
  let next = 0
  const failures: string[] = []
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < corpus.length) {
        const c = corpus[next++]!
        const socket = await RawWebSocket.open(gw.port)
        try {
          if (random() < 0.5) socket.write(c.bytes)
          else await socket.writeInPieces(c.bytes, random, 512)
          await socket.until(() => socket.closeCode !== undefined || socket.closed, 10_000, c.family)
          const key = `${c.family} → ${socket.closeCode}`
          observed.set(key, (observed.get(key) ?? 0) + 1)
          if (socket.closeCode !== c.closeCode) failures.push(`${c.family}: expected ${c.closeCode}, got ${socket.closeCode ?? 'no close frame'}`)
        } finally {
          socket.destroy()
        }
      }
    }),
  )
  const { asked, answered } = await watch.stop()
  assert.deepEqual(failures, [])
  assert.equal(answered, asked, 'the bystander got every answer')
  await eventually(() => gw.app.connectionCount === 1, 10_000, 'every fuzzed connection released')
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  t.diagnostic(`seed=${SEED + 1} cases=${corpus.length} bystander=${answered}/${asked}`)
  t.diagnostic(JSON.stringify(Object.fromEntries([...observed].sort())))
})
