// Pure module: the client's browser bundle includes it, so no Node built-ins here.
import { GatewayError } from '../errors/gateway-error.js'
import { encodeCancelFrame, encodeClientFrame } from './client-frames.js'

type Timer = ReturnType<typeof setTimeout>

/** A request that has not had its outcome yet. */
interface Outstanding {
  readonly id: number
  readonly event: string
  readonly text: string
  readonly resolve: (data: unknown) => void
  readonly reject: (error: GatewayError) => void
  readonly timer: Timer
  sent: boolean
  settled: boolean
  /** The caller's signal and our listener on it, removed when the request settles. */
  signal?: AbortSignal
  onAbort?: () => void
}

/** An emit waiting for a connection: no id, no outcome. */
interface QueuedEmit {
  readonly id: undefined
  readonly text: string
}

type Queued = Outstanding | QueuedEmit

/** Bounds of the ledger. */
export interface LedgerLimits {
  readonly maxQueued: number
  readonly maxInFlight: number
}

/** Writes a control frame on the open socket, if there is one (`$cancel`). */
export type ControlSender = (text: string) => void

/**
 * Every request the client has made and not yet settled, queued or in flight.
 * Each gets exactly one outcome: its reply, the server's error, `TIMEOUT`,
 * `CANCELLED` (its signal aborted), `DISCONNECTED` (the socket dropped after it
 * was sent), `CLOSED` (the client closed before it was sent) or `QUEUE_FULL`
 * (never queued). Settling removes the entry and its timer, so the maps stay as
 * small as what is outstanding.
 *
 * A request that was sent and then given up here (cancelled, or timed out) is
 * cancelled on the server too: a `$cancel` frame with its id, so a service still
 * working on it stops.
 */
export class RequestLedger {
  readonly #limits: LedgerLimits
  readonly #sendControl: ControlSender
  readonly #inFlight = new Map<number, Outstanding>()
  #queue: Queued[] = []
  // Ids are never reused in a client's life, across reconnects included.
  #lastId = 0

  constructor(limits: LedgerLimits, sendControl: ControlSender = () => {}) {
    this.#limits = limits
    this.#sendControl = sendControl
  }

  /** Requests sent and waiting for their answer. */
  get inFlight(): number {
    return this.#inFlight.size
  }

  /** Requests and emits waiting to be sent. */
  get queued(): number {
    return this.#queue.length
  }

  /**
   * Registers a request with a fresh id. It waits in the queue until `pump` sends
   * it, or goes straight in flight with `immediate` (re-joins after a reconnect,
   * which must not wait behind the queue). Its timer starts now, and its frame
   * carries the deadline (`deadline`: now + `timeoutMs`, epoch ms) for the server.
   * Aborting `signal` settles it `CANCELLED` at once. `sinceJson` is the envelope's `since`.
   */
  request(event: string, dataJson: string | undefined, timeoutMs: number, immediate?: (text: string) => void, signal?: AbortSignal, sinceJson?: string): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(cancelledError(event))
    if (immediate === undefined && this.#queue.length >= this.#limits.maxQueued) {
      return Promise.reject(new GatewayError('QUEUE_FULL', `${this.#queue.length} requests are already waiting to be sent; "${event}" was not sent`))
    }
    const id = ++this.#lastId
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settle(entry, new GatewayError('TIMEOUT', `No answer to "${event}" within ${timeoutMs} ms`))
      }, timeoutMs)
      const text = encodeClientFrame(event, dataJson, id, Date.now() + timeoutMs, sinceJson)
      const entry: Outstanding = { id, event, text, resolve, reject, timer, sent: false, settled: false }
      if (signal !== undefined) {
        entry.signal = signal
        entry.onAbort = () => this.#settle(entry, cancelledError(event))
        signal.addEventListener('abort', entry.onAbort, { once: true })
      }
      if (immediate === undefined) {
        this.#queue.push(entry)
      } else {
        this.#inFlight.set(id, entry)
        entry.sent = true
        immediate(entry.text)
      }
    })
  }

  /** Queues a fire-and-forget frame; false when the queue is full. */
  emit(event: string, dataJson: string | undefined): boolean {
    if (this.#queue.length >= this.#limits.maxQueued) return false
    this.#queue.push({ id: undefined, text: encodeClientFrame(event, dataJson, undefined) })
    return true
  }

  /**
   * Sends queued frames in order while requests in flight stay under the bound.
   * `send` returns false when the socket refused the frame; that request then fails
   * with `DISCONNECTED` and pumping stops (the close event follows).
   */
  pump(send: (text: string) => boolean): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!
      if (head.id !== undefined && this.#inFlight.size >= this.#limits.maxInFlight) return
      this.#queue.shift()
      if (head.id === undefined) {
        if (!send(head.text)) return
        continue
      }
      this.#inFlight.set(head.id, head)
      head.sent = true
      if (!send(head.text)) {
        this.#settle(head, new GatewayError('DISCONNECTED', `The connection failed while sending "${head.event}"`))
        return
      }
    }
  }

  /** Whether an emit may skip the queue without overtaking anything. */
  get canSendDirectly(): boolean {
    return this.#queue.length === 0
  }

  /** Settles the request with this id; false when there is none (answered, timed out or unknown). */
  answer(id: number | string, outcome: { data: unknown } | { error: GatewayError }): boolean {
    const entry = typeof id === 'number' ? this.#inFlight.get(id) : undefined
    if (entry === undefined) return false
    this.#settle(entry, 'error' in outcome ? outcome.error : outcome)
    return true
  }

  /** Rejects every request in flight (the socket dropped after they were sent). */
  failInFlight(error: (event: string) => GatewayError): void {
    for (const entry of [...this.#inFlight.values()]) this.#settle(entry, error(entry.event))
  }

  /** Rejects every queued request and drops queued emits (the client closed before sending them). */
  failQueued(error: (event: string) => GatewayError): void {
    const queue = this.#queue
    this.#queue = []
    for (const entry of queue) if (entry.id !== undefined) this.#settle(entry, error(entry.event))
  }

  #settle(entry: Outstanding, outcome: GatewayError | { data: unknown }): void {
    if (entry.settled) return
    entry.settled = true
    clearTimeout(entry.timer)
    if (entry.onAbort !== undefined) entry.signal!.removeEventListener('abort', entry.onAbort)
    if (entry.sent) {
      this.#inFlight.delete(entry.id)
      // Given up here while the server may still be working on it: tell the server.
      if (outcome instanceof GatewayError && (outcome.code === 'CANCELLED' || outcome.code === 'TIMEOUT')) this.#sendControl(encodeCancelFrame(entry.id))
    } else {
      const index = this.#queue.indexOf(entry)
      if (index !== -1) this.#queue.splice(index, 1)
    }
    if (outcome instanceof GatewayError) entry.reject(outcome)
    else entry.resolve(outcome.data)
  }
}

function cancelledError(event: string): GatewayError {
  return new GatewayError('CANCELLED', `"${event}" was cancelled`)
}
