// A gangway-ws/client (the SDK, not a raw socket) under load for the cluster F6 case: it keeps
// `inFlight` slow requests outstanding, records every outcome, the `msg` stream it receives,
// its status changes and — through a tapped WebSocket — every request frame it put on the wire
// and every answer that came back, so "exactly one outcome per request" is checked on the wire
// too, not only through the promise (which cannot settle twice by construction).
import WebSocket from 'ws'
import { createClient, GatewayError, type GatewayClient } from '../../src/client/index.js'
import type { WebSocketConstructor } from '../../src/client/websocket-like.js'

/** What happened to one request, by its local number `n`. */
interface Outcome {
  issuedAt: number
  /** The client was not open when it was issued: it waited in the queue. */
  issuedWhileDown: boolean
  settles: number
  result?: 'delivered' | 'mismatched' | string // a string: the GatewayError code
}

export interface SdkLedger {
  accepted: number
  delivered: number
  reportedFailed: number
  lost: number
  mismatched: number
  doubleSettled: number
  failedByCode: Record<string, number>
  /** Requests issued while the client was down, and how many of them were answered. */
  issuedWhileDown: number
  deliveredAfterQueue: number
  /** Wire check: request frames sent more than once, ids answered more than once, DISCONNECTED requests answered anyway. */
  wireResent: number
  wireAnsweredTwice: number
  wireAnsweredAfterDisconnected: number
}

export class SdkLoadClient {
  readonly client: GatewayClient
  /** Stream sequence numbers received per `msg` tag, with the time each arrived. */
  readonly #streams = new Map<string, Array<{ seq: number; at: number; publishedAt?: number }>>()
  readonly statuses: Array<{ status: string; at: number; delayMs?: number }> = []
  /** The URL of every socket that opened, with the time. */
  readonly opened: Array<{ url: string; at: number }> = []
  /** Every connection attempt (a WebSocket constructed), with its URL and time. */
  readonly attempts: Array<{ url: string; at: number }> = []
  readonly #outcomes = new Map<number, Outcome>()
  /** Per request number: its wire id and how many times a frame with it was sent. */
  readonly #wireSends = new Map<number, { id: number; sends: number }>()
  /** Per wire id: how many answers (reply or error frame) arrived. */
  readonly #wireAnswers = new Map<number, number>()
  #next = 0
  #running = false
  #loops: Array<Promise<void>> = []

  constructor(
    readonly name: string,
    /** The node URLs in the order this client tries them; the first is its home node. */
    urls: readonly string[],
    /** Requests kept outstanding; with `maxInFlight` below it, the rest wait in the client's queue. */
    readonly outstanding: number,
    maxInFlight: number,
  ) {
    let attempt = 0
    // The documented way to give the SDK several nodes: a URL function, called before every attempt.
    const url = () => urls[attempt++ % urls.length]!
    this.client = createClient(url, { WebSocket: this.#tapped(), requestTimeoutMs: 5000, connectTimeoutMs: 3000, maxInFlight })
    this.client.onStatus((change) => this.statuses.push({ status: change.status, at: Date.now(), ...(change.delayMs === undefined ? {} : { delayMs: change.delayMs }) }))
    this.client.on('msg', (payload) => {
      const data = payload as { tag?: string; seq: number; at?: number } | null
      if (typeof data?.tag === 'string') this.seqs(data.tag).push({ seq: data.seq, at: Date.now(), publishedAt: data.at })
    })
    this.client.onError(() => {}) // a failed re-join is visible in the stream check
  }

  /** The `msg` pushes received with this tag, in arrival order. */
  seqs(tag: string): Array<{ seq: number; at: number; publishedAt?: number }> {
    let list = this.#streams.get(tag)
    if (list === undefined) this.#streams.set(tag, (list = []))
    return list
  }

  start(): void {
    this.#running = true
    for (let i = 0; i < this.outstanding; i++) this.#loops.push(this.#loop())
  }

  /** Stops issuing and waits up to `waitMs` for what is outstanding; anything unsettled then counts as lost. */
  async stop(waitMs: number): Promise<void> {
    this.#running = false
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([Promise.all(this.#loops), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))])
    clearTimeout(timer)
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const n = this.#next++
      const outcome: Outcome = { issuedAt: Date.now(), issuedWhileDown: this.client.status !== 'open', settles: 0 }
      this.#outcomes.set(n, outcome)
      // A slow echo: 50–200 ms, so several are always in flight when the node dies.
      await this.client.request('slow', { ms: 50 + ((n * 37) % 151), n }).then(
        (reply) => {
          outcome.settles++
          outcome.result ??= (reply as { n?: number } | null)?.n === n ? 'delivered' : 'mismatched'
        },
        (error: unknown) => {
          outcome.settles++
          outcome.result ??= error instanceof GatewayError ? error.code : 'NOT_A_GATEWAY_ERROR'
        },
      )
    }
  }

  ledger(): SdkLedger {
    const l: SdkLedger = {
      accepted: 0, delivered: 0, reportedFailed: 0, lost: 0, mismatched: 0, doubleSettled: 0, failedByCode: {},
      issuedWhileDown: 0, deliveredAfterQueue: 0, wireResent: 0, wireAnsweredTwice: 0, wireAnsweredAfterDisconnected: 0,
    }
    for (const [n, o] of this.#outcomes) {
      l.accepted++
      if (o.settles > 1) l.doubleSettled++
      if (o.result === undefined) l.lost++
      else if (o.result === 'delivered') l.delivered++
      else if (o.result === 'mismatched') l.mismatched++
      else {
        l.reportedFailed++
        l.failedByCode[o.result] = (l.failedByCode[o.result] ?? 0) + 1
      }
      if (o.issuedWhileDown) {
        l.issuedWhileDown++
        if (o.result === 'delivered') l.deliveredAfterQueue++
      }
      const wire = this.#wireSends.get(n)
      if (wire !== undefined) {
        if (wire.sends > 1) l.wireResent++
        const answers = this.#wireAnswers.get(wire.id) ?? 0
        if (answers > 1) l.wireAnsweredTwice++
        if (answers > 0 && o.result === 'DISCONNECTED') l.wireAnsweredAfterDisconnected++
      }
    }
    return l
  }

  /** A `ws` constructor that records request frames sent and answers received. */
  #tapped(): WebSocketConstructor {
    const sends = this.#wireSends
    const answers = this.#wireAnswers
    const opened = this.opened
    const attempts = this.attempts
    return function Tapped(url: string, protocols?: string | string[]) {
      attempts.push({ url, at: Date.now() })
      const ws = new WebSocket(url, protocols)
      const send = ws.send.bind(ws)
      ws.send = ((text: string) => {
        const frame = JSON.parse(text) as { event: string; data?: { n?: number }; id?: number }
        if (frame.event === 'slow' && typeof frame.data?.n === 'number' && frame.id !== undefined) {
          const wire = sends.get(frame.data.n) ?? { id: frame.id, sends: 0 }
          wire.sends++
          sends.set(frame.data.n, wire)
        }
        send(text)
      }) as typeof ws.send
      ws.on('message', (raw: Buffer) => {
        const text = raw.toString()
        if (!text.includes('"id":')) return // a push: no request to account for
        const { id } = JSON.parse(text) as { id?: number }
        if (typeof id === 'number') answers.set(id, (answers.get(id) ?? 0) + 1)
      })
      ws.on('open', () => opened.push({ url, at: Date.now() }))
      return ws
    } as unknown as WebSocketConstructor
  }
}

/** Sums ledgers; `failedByCode` merged. */
export function totalLedger(ledgers: SdkLedger[]): SdkLedger {
  const sum: SdkLedger = {
    accepted: 0, delivered: 0, reportedFailed: 0, lost: 0, mismatched: 0, doubleSettled: 0, failedByCode: {},
    issuedWhileDown: 0, deliveredAfterQueue: 0, wireResent: 0, wireAnsweredTwice: 0, wireAnsweredAfterDisconnected: 0,
  }
  for (const l of ledgers) {
    for (const key of Object.keys(sum) as Array<keyof SdkLedger>) {
      if (key === 'failedByCode') for (const [code, count] of Object.entries(l.failedByCode)) sum.failedByCode[code] = (sum.failedByCode[code] ?? 0) + count
      else sum[key] += l[key]
    }
  }
  return sum
}
