import { once } from 'node:events'
import WebSocket from 'ws'
import { RequestLedger } from './ledger.js'

/** One request's fate, for time-based checks (when did success come back). */
export interface Outcome {
  sentAt: number
  answeredAt: number
  /** The error frame's code, or `undefined` for a reply. */
  code: string | undefined
}

/**
 * A client sending one request every `intervalMs` (open loop: it does not wait for answers, so an
 * outage cannot slow the load down), each `{ event, data: { n, pad }, id }` (`pad`: `padBytes`
 * characters) expecting `{ n }` back. Every
 * request goes in its ledger; each answer's time and code in `outcomes`; RTTs of replies in `rtts`.
 */
export class PacedClient {
  readonly ledger = new RequestLedger()
  readonly outcomes: Outcome[] = []
  readonly rtts: number[] = []
  readonly errors = new Map<string, number>()
  /** When each request was sent (performance.now()), in order. */
  readonly sentTimes: number[] = []
  ws!: WebSocket
  #sentAt = new Map<string, number>()
  #next = 0
  #timer: NodeJS.Timeout | undefined

  constructor(
    readonly name: string,
    readonly event: string,
    readonly intervalMs: number,
    padBytes = 0,
  ) {
    this.#pad = 'x'.repeat(padBytes)
  }

  readonly #pad: string

  async connect(url: string): Promise<void> {
    const ws = new WebSocket(url)
    this.ws = ws
    ws.on('error', () => {})
    ws.on('message', (raw: Buffer) => {
      const frame = JSON.parse(raw.toString()) as { id?: string; data?: unknown; error?: { code: string } }
      if (frame.id === undefined) return // hello or push
      const now = performance.now()
      const sentAt = this.#sentAt.get(frame.id)
      this.#sentAt.delete(frame.id)
      const code = frame.error?.code
      if (code !== undefined) this.errors.set(code, (this.errors.get(code) ?? 0) + 1)
      if (sentAt !== undefined) {
        this.outcomes.push({ sentAt, answeredAt: now, code })
        if (code === undefined) this.rtts.push(now - sentAt)
      }
      this.ledger.answered(frame.id, frame.data, code !== undefined)
    })
    ws.once('close', () => this.ledger.socketClosed())
    await once(ws, 'open')
  }

  start(): void {
    // Staggered, so several clients do not fire in the same tick.
    this.#timer = setTimeout(() => {
      this.#timer = setInterval(() => this.send(), this.intervalMs)
    }, Math.random() * this.intervalMs)
  }

  send(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return
    const n = this.#next++
    const id = `${this.name}-${n}`
    this.ledger.sent(id, { n })
    const now = performance.now()
    this.#sentAt.set(id, now)
    this.sentTimes.push(now)
    this.ws.send(JSON.stringify({ event: this.event, data: { n, pad: this.#pad }, id }))
  }

  /** Requests sent later than `at` (performance.now() time). */
  sentAfter(at: number): number {
    let count = 0
    for (let i = this.sentTimes.length - 1; i >= 0 && this.sentTimes[i]! > at; i--) count++
    return count
  }

  stop(): void {
    clearTimeout(this.#timer)
    clearInterval(this.#timer)
  }

  /** Stops sending and waits up to `timeoutMs` for every pending answer. */
  async drain(timeoutMs: number): Promise<void> {
    this.stop()
    const deadline = Date.now() + timeoutMs
    while (this.ledger.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  }

  close(): void {
    this.stop()
    this.ws.terminate()
  }
}

/** The p-th percentile (0–100) of `values`, in their unit; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
