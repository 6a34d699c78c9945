// One load-generator process: opens its share of connections (round-robin over its loopback
// source addresses), has each join two rooms, then drives a steady mix — requests, publishes,
// joins/leaves — at the rates it was given, checking every answer and every tick in a
// ConnectionLedger. The coordinator asks for samples, then stops, drains and closes it.
import WebSocket from 'ws'
import { ConnectionLedger, type RequestCounts, type StreamCounts } from './connection-ledger.js'

export interface WorkerConfig {
  url: string
  connections: number
  addresses: string[]
  rooms: number
  /** Per-second rates for this worker. */
  requestsPerSecond: number
  publishesPerSecond: number
  churnPerSecond: number
  payloadBytes: number
}

type Kind = 'req' | 'join' | 'leave' | 'publish'
interface Conn {
  ws: WebSocket
  ledger: ConnectionLedger
  kinds: Map<number, { kind: Kind; room?: string }>
  open: boolean
}

const config = JSON.parse(process.argv[2]!) as WorkerConfig
const conns: Conn[] = []
const pad = 'p'.repeat(config.payloadBytes)
const roomName = (i: number) => `room-${i}`
let latencies: number[] = []
let tickLatencies: number[] = []
let unexpectedCloses = 0
let window = { requests: 0, answers: 0, publishes: 0, ticks: 0, joins: 0, leaves: 0 }
let running = false

function random(n: number): number {
  return Math.floor(Math.random() * n)
}

function request(conn: Conn, kind: Kind, data: unknown, room?: string): void {
  if (!conn.open) return
  const id = conn.ledger.send(kind === 'req' ? (data as { n: number }).n : room, performance.now())
  conn.kinds.set(id, { kind, room })
  conn.ws.send(JSON.stringify({ event: kind, data, id }))
  if (kind === 'req') window.requests++
  else if (kind === 'publish') window.publishes++
}

function onMessage(conn: Conn, raw: Buffer): void {
  const frame = JSON.parse(raw.toString()) as { event: string; id?: number; data?: any; error?: unknown }
  const now = performance.now()
  if (frame.event === 'tick' && frame.id === undefined) {
    window.ticks++
    tickLatencies.push(Date.now() - frame.data.at)
    conn.ledger.tick(frame.data.room, frame.data.seq)
    return
  }
  if (frame.id === undefined) return
  const meta = conn.kinds.get(frame.id)
  conn.kinds.delete(frame.id)
  const failed = frame.error !== undefined
  const settled = conn.ledger.answer(
    frame.id,
    (expected) => {
      if (meta?.kind === 'req') return frame.data?.n === expected
      if (meta?.kind === 'publish') return typeof frame.data === 'number'
      return frame.data?.room === expected
    },
    failed,
    now,
  )
  if (!settled || failed || !meta) return
  window.answers++
  if (meta.kind === 'req') latencies.push(settled.rtt)
  else if (meta.kind === 'join') {
    window.joins++
    conn.ledger.joined(meta.room!, frame.data.seq)
  } else if (meta.kind === 'leave') {
    window.leaves++
    conn.ledger.left(meta.room!, frame.data.seq)
  }
}

function connect(index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(config.url, { localAddress: config.addresses[index % config.addresses.length], perMessageDeflate: false })
    const conn: Conn = { ws, ledger: new ConnectionLedger(), kinds: new Map(), open: false }
    ws.on('error', (err) => (conn.open ? undefined : reject(err)))
    ws.on('message', (raw: Buffer) => onMessage(conn, raw))
    ws.on('close', () => {
      if (conn.open && running) unexpectedCloses++
      conn.open = false
      conn.ledger.socketClosed()
    })
    ws.once('open', () => {
      conn.open = true
      conns.push(conn)
      for (let k = 0; k < 2; k++) join(conn, roomName(random(config.rooms)))
      resolve()
    })
  })
}

function join(conn: Conn, room: string): void {
  if (conn.ledger.has(room)) return
  conn.ledger.joinRequested(room)
  request(conn, 'join', room, room)
}

function leave(conn: Conn, room: string): void {
  conn.ledger.leaveRequested(room)
  request(conn, 'leave', room, room)
}

/** Fractional rates become whole actions per tick with carry. */
const carry = { req: 0, publish: 0, churn: 0 }
function drive(elapsedMs: number): void {
  const due = (key: keyof typeof carry, perSecond: number) => {
    carry[key] += (perSecond * elapsedMs) / 1000
    const whole = Math.floor(carry[key])
    carry[key] -= whole
    return whole
  }
  for (let i = due('req', config.requestsPerSecond); i > 0; i--) {
    const conn = conns[random(conns.length)]!
    request(conn, 'req', { n: conn.ledger.requests.accepted, pad })
  }
  for (let i = due('publish', config.publishesPerSecond); i > 0; i--) {
    const conn = conns[random(conns.length)]!
    const rooms = conn.ledger.rooms()
    const room = rooms[random(rooms.length)]
    if (room !== undefined) request(conn, 'publish', room, room)
  }
  for (let i = due('churn', config.churnPerSecond); i > 0; i--) {
    const conn = conns[random(conns.length)]!
    const rooms = conn.ledger.rooms()
    // Memberships hover around two rooms per connection: leave above two, join below, either at two.
    if (rooms.length > 2 || (rooms.length === 2 && Math.random() < 0.5)) leave(conn, rooms[random(rooms.length)]!)
    else join(conn, roomName(random(config.rooms)))
  }
}

let timer: NodeJS.Timeout | undefined
function start(): void {
  running = true
  let last = performance.now()
  timer = setInterval(() => {
    const now = performance.now()
    drive(now - last)
    last = now
  }, 10)
}

function totals(): { requests: RequestCounts; streams: StreamCounts; pending: number } {
  const requests: RequestCounts = { accepted: 0, delivered: 0, reportedFailed: 0, duplicates: 0, unexpected: 0, mismatched: 0 }
  const streams: StreamCounts = { owed: 0, received: 0, gaps: 0, outOfOrder: 0, strays: 0 }
  let pending = 0
  for (const conn of conns) {
    for (const key of Object.keys(requests) as Array<keyof RequestCounts>) requests[key] += conn.ledger.requests[key]
    for (const key of Object.keys(streams) as Array<keyof StreamCounts>) streams[key] += conn.ledger.streams[key]
    pending += conn.ledger.pending
  }
  return { requests, streams, pending }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}

process.on('message', async (message: { type: string }) => {
  if (message.type === 'start') {
    start()
  } else if (message.type === 'sample') {
    process.send!({ type: 'sample', latencies, tickLatencies, window, pending: totals().pending, open: conns.filter((c) => c.open).length, unexpectedCloses })
    latencies = []
    tickLatencies = []
    window = { requests: 0, answers: 0, publishes: 0, ticks: 0, joins: 0, leaves: 0 }
  } else if (message.type === 'stop') {
    // Stop new work, let everything pending be answered, then leave every room so each stream
    // window closes with the server's exact seq.
    clearInterval(timer)
    await waitFor(() => totals().pending === 0, 30_000)
    for (const conn of conns) for (const room of conn.ledger.rooms()) leave(conn, room)
    const drained = await waitFor(() => totals().pending === 0, 30_000)
    running = false
    process.send!({ type: 'final', drained, unexpectedCloses, ...totals() })
  } else if (message.type === 'close') {
    for (const conn of conns) conn.ws.close()
    await waitFor(() => conns.every((c) => !c.open), 20_000)
    process.send!({ type: 'closed' })
  }
})

// Ramp: 200 handshakes at a time, so the server sees a burst but not 10,000 at once.
const started = performance.now()
for (let i = 0; i < config.connections; i += 200) {
  await Promise.all(Array.from({ length: Math.min(200, config.connections - i) }, (_, k) => connect(i + k)))
}
await waitFor(() => totals().pending === 0, 30_000)
process.send!({ type: 'ready', connections: conns.length, rampMs: performance.now() - started })

// Never outlive the process that started this one (a killed test run or coordinator).
process.on('disconnect', () => process.exit(0))
