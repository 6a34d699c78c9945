// The load generator of the cluster benchmark (child process): N subscribers
// spread over the nodes, all in one room, and one publisher on the first node.
// Both frameworks are driven over raw `ws` clients with the same JSON work per
// message, so the client side costs the same and only the servers differ.
//
// Phase 1 (latency): a fixed rate of messages; every delivery's latency.
// Phase 2 (throughput): as fast as the cluster delivers, with at most WINDOW
// messages in flight; deliveries per second and their latency under load.
import WebSocket from 'ws'

export interface LoadConfig {
  framework: 'gangway' | 'socketio'
  ports: number[]
  subscribers: number
  rate: number
  window: number
  seconds: number
  room: string
}

export interface LoadResult {
  fixedRate: { rate: number; expected: number; delivered: number; p50: number; p99: number; max: number }
  throughput: { deliveriesPerSec: number; messagesPerSec: number; p50: number; p99: number; lost: number; delivered: number; seconds: number }
}

// With LOAD_MARKS=1 (bench:history) the throughput phase's edges are announced over IPC, so the
// orchestrator can read the nodes' CPU time over the same window.
const mark = (phase: 'throughput-start' | 'throughput-end') => void (process.env.LOAD_MARKS === '1' && process.send!({ mark: phase }))

const config = JSON.parse(process.env.LOAD_CONFIG!) as LoadConfig
const TEXT = 'x'.repeat(80)
const MESSAGE_TIMEOUT_MS = 3000

/** One client connection, speaking either protocol. */
class Client {
  readonly ws: WebSocket
  readonly ready: Promise<void>
  onMessage: (payload: { t: number; i: number }) => void = () => {}
  #ready!: () => void

  constructor(
    readonly framework: LoadConfig['framework'],
    port: number,
  ) {
    const url = framework === 'gangway' ? `ws://127.0.0.1:${port}/ws` : `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`
    this.ws = new WebSocket(url, { perMessageDeflate: false })
    this.ready = new Promise((resolve) => (this.#ready = resolve))
    this.ws.on('error', (err) => {
      console.error(`client error: ${err.message}`)
    })
    this.ws.on('message', (raw: Buffer) => this.#receive(raw.toString()))
    if (framework === 'gangway') this.ws.once('open', () => this.#ready())
  }

  #receive(text: string): void {
    if (this.framework === 'gangway') {
      const frame = JSON.parse(text) as { event: string; data: unknown; id?: number }
      if (frame.event === 'message') this.onMessage(frame.data as { t: number; i: number })
      else if (frame.id !== undefined) this.#acks.get(frame.id)?.()
      return
    }
    // engine.io / socket.io v4 text packets
    if (text === '2') return this.ws.send('3')
    if (text.startsWith('0')) return this.ws.send('40')
    if (text.startsWith('40')) return this.#ready()
    if (text.startsWith('42')) {
      const [event, payload] = JSON.parse(text.slice(2)) as [string, { t: number; i: number }]
      if (event === 'message') this.onMessage(payload)
      return
    }
    if (text.startsWith('43')) {
      const id = Number(/^43(\d+)/.exec(text)?.[1])
      this.#acks.get(id)?.()
    }
  }

  readonly #acks = new Map<number, () => void>()
  #nextId = 1

  join(room: string): Promise<void> {
    const id = this.#nextId++
    const acked = new Promise<void>((resolve) => this.#acks.set(id, resolve))
    this.ws.send(this.framework === 'gangway' ? JSON.stringify({ event: 'join', data: room, id }) : `42${id}${JSON.stringify(['join', room])}`)
    return acked
  }

  publish(room: string, payload: object): void {
    const data = { room, payload }
    this.ws.send(this.framework === 'gangway' ? JSON.stringify({ event: 'publish', data }) : `42${JSON.stringify(['publish', data])}`)
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

class Latencies {
  #values = new Float64Array(1 << 16)
  #length = 0
  add(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2)
      grown.set(this.#values)
      this.#values = grown
    }
    this.#values[this.#length++] = value
  }
  get count(): number {
    return this.#length
  }
  sorted(): Float64Array {
    return this.#values.slice(0, this.#length).sort()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function main(): Promise<LoadResult> {
  const { framework, ports, subscribers, room } = config
  const clients = Array.from({ length: subscribers }, (_, i) => new Client(framework, ports[i % ports.length]!))
  const publisher = new Client(framework, ports[0]!)
  await Promise.all([...clients, publisher].map((c) => c.ready))
  for (let i = 0; i < clients.length; i += 50) await Promise.all(clients.slice(i, i + 50).map((c) => c.join(room)))

  let latencies = new Latencies()
  let delivered = 0
  const pending = new Map<number, { left: number; sentAt: number }>()
  let onComplete: () => void = () => {}
  for (const client of clients) {
    client.onMessage = ({ t, i }) => {
      const now = performance.now()
      latencies.add(now - t)
      delivered++
      const entry = pending.get(i)
      if (entry && --entry.left === 0) {
        pending.delete(i)
        onComplete()
      }
    }
  }
  let seq = 0
  const send = () => {
    const i = seq++
    pending.set(i, { left: subscribers, sentAt: performance.now() })
    publisher.publish(room, { t: performance.now(), i, text: TEXT })
  }

  // Warm-up: one second at the fixed rate, not measured.
  const tick = 1000 / config.rate
  const runAtRate = async (ms: number) => {
    const start = performance.now()
    let sent = 0
    while (performance.now() - start < ms) {
      send()
      sent++
      const next = start + sent * tick
      await sleep(Math.max(0, next - performance.now()))
    }
    return sent
  }
  await runAtRate(1000)
  await sleep(500)

  // Phase 1: fixed rate.
  latencies = new Latencies()
  delivered = 0
  pending.clear()
  const sentAtRate = await runAtRate(config.seconds * 1000)
  const drainUntil = performance.now() + 2000
  while (delivered < sentAtRate * subscribers && performance.now() < drainUntil) await sleep(20)
  const fixedSorted = latencies.sorted()
  const fixedRate = {
    rate: config.rate,
    expected: sentAtRate * subscribers,
    delivered,
    p50: percentile(fixedSorted, 50),
    p99: percentile(fixedSorted, 99),
    max: fixedSorted[fixedSorted.length - 1] ?? NaN,
  }

  // Phase 2: saturation with a window of messages in flight.
  latencies = new Latencies()
  delivered = 0
  pending.clear()
  let sent = 0
  let lost = 0
  mark('throughput-start')
  const start = performance.now()
  const end = start + config.seconds * 1000
  await new Promise<void>((resolve) => {
    const fill = () => {
      const now = performance.now()
      if (now >= end) return resolve()
      // A message some subscriber never got must not stall the window forever.
      for (const [i, entry] of pending) {
        if (now - entry.sentAt > MESSAGE_TIMEOUT_MS) {
          lost += entry.left
          pending.delete(i)
        }
      }
      while (pending.size < config.window) {
        send()
        sent++
      }
    }
    onComplete = fill
    fill()
    const guard = setInterval(() => {
      fill()
      if (performance.now() >= end) clearInterval(guard)
    }, 50)
  })
  const elapsed = (performance.now() - start) / 1000
  const deliveredInPhase = delivered
  mark('throughput-end')
  onComplete = () => {}
  const sorted = latencies.sorted()
  const throughput = {
    deliveriesPerSec: Math.round(deliveredInPhase / elapsed),
    messagesPerSec: Math.round(deliveredInPhase / subscribers / elapsed),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    lost,
    delivered: deliveredInPhase,
    seconds: elapsed,
  }
  for (const client of [...clients, publisher]) client.ws.terminate()
  return { fixedRate, throughput }
}

main().then(
  (result) => {
    process.send!(result)
    process.exit(0)
  },
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
