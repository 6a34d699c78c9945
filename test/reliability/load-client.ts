import { once } from 'node:events'
import WebSocket from 'ws'
import { RequestLedger } from './ledger.js'

/**
 * A client keeping `inFlight` slow requests outstanding (a new one for each answer), every one
 * recorded in its ledger; when its socket closes, what was pending is reported failed.
 */
export class LoadClient {
  readonly ledger = new RequestLedger()
  ws!: WebSocket
  /** Ids that were pending when the socket closed. */
  readonly failedIds: string[] = []
  /** Error codes received, by code. */
  readonly errors = new Map<string, number>()
  closeCode: number | undefined
  #next = 0
  #running = true
  #closed!: Promise<void>

  constructor(
    readonly name: string,
    readonly inFlight: number,
  ) {}

  async connect(url: string): Promise<void> {
    const ws = new WebSocket(url)
    this.ws = ws
    ws.on('error', () => {})
    ws.on('message', (raw: Buffer) => {
      const frame = JSON.parse(raw.toString()) as { id: string; data?: unknown; error?: { code: string } }
      if (frame.error) this.errors.set(frame.error.code, (this.errors.get(frame.error.code) ?? 0) + 1)
      this.ledger.answered(frame.id, frame.data, frame.error !== undefined)
      if (this.#running && ws.readyState === WebSocket.OPEN) this.#send()
    })
    this.#closed = new Promise((resolve) =>
      ws.once('close', (code: number) => {
        this.closeCode = code
        this.failedIds.push(...this.ledger.socketClosed())
        resolve()
      }),
    )
    await once(ws, 'open')
  }

  start(): void {
    for (let i = 0; i < this.inFlight; i++) this.#send()
  }

  #send(): void {
    const n = this.#next++
    const id = `${this.name}-${n}`
    this.ledger.sent(id, n)
    this.ws.send(JSON.stringify({ event: 'slow', data: { ms: n % 40, n }, id }))
  }

  /** Stops sending new requests and waits (up to 10 s) for what is pending. */
  async drain(): Promise<void> {
    this.#running = false
    const deadline = Date.now() + 10_000
    while (this.ledger.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  }

  closed(): Promise<void> {
    return this.#closed
  }
}
