import { randomNodeId } from '../connection/connection-id.js'
import { isWellFormedCode } from '../errors/error-codes.js'
import { GatewayError, WsError } from '../errors/gateway-error.js'
import { silentLogger, type Logger } from '../logging/logger.js'
import { decodeRecords, type BridgeRecord, type CancelReason, type CancelRecord, type ErrorRecord, type ForwardMeta, type PushRecord, type RequestRecord } from './bridge-records.js'
import type { BrokerLink, ConsumeOptions, Delivery } from './broker-link.js'
import type { BrokerStateListener, ReportsBrokerState } from '../broker/broker-state.js'
import { patternRoute, type MessagePattern } from './message-pattern.js'
import { RecordBatcher } from './record-batcher.js'

/** Options of a transport (every broker's factory accepts these too). */
export interface TransportOptions {
  /**
   * This process's inbox id: replies to its requests are addressed to it. A
   * gateway app using the transport receives pushes at its node id.
   * @default a random 8-character id
   */
  id?: string
  /** How long `request` waits for a reply unless the call says otherwise. @default 10000 */
  timeoutMs?: number
  /** Requests awaiting a reply at once; more are refused with `BUSY` instead of queueing without bound. @default 10000 */
  maxPending?: number
  /** A pino-compatible logger. @default silent */
  logger?: Logger
}

/** Options of one `request`. */
export interface RequestOptions {
  /** How long to wait for the reply before failing with `TIMEOUT`. @default the transport's `timeoutMs` */
  timeoutMs?: number
  /**
   * An absolute deadline (epoch ms): the request fails `TIMEOUT` then if `timeoutMs`
   * has not ended it earlier. The service sees the earlier of the two as `ctx.deadline`.
   * @default none (`timeoutMs` alone)
   */
  deadline?: number
  /**
   * Aborting it fails the request `CANCELLED` at once and tells the service, whose
   * `ctx.signal` aborts (a late reply is discarded). @default none
   */
  signal?: AbortSignal
  /** Metadata the service sees as `ctx.meta`. @default {} */
  meta?: ForwardMeta
}

/** A request the caller can cancel without an `AbortSignal` of its own (the gateway's forwarded requests). */
export interface CancellableRequest<R> {
  readonly answer: Promise<R>
  /** Fails the request `CANCELLED` (if it is still waiting) and tells the service. */
  cancel(why: CancelReason): void
}

/** Counters of one transport, for metrics and tests. */
export interface TransportStats {
  /** Requests sent. */
  requests: number
  /** Requests answered with a reply. */
  replies: number
  /** Requests answered with a service error. */
  errors: number
  /** Requests that got no answer in time. */
  timeouts: number
  /** Requests refused because the broker could not take them. */
  unavailable: number
  /** Requests refused because too many were in flight or the broker applied flow control. */
  busy: number
  /** Requests the caller cancelled (an aborted signal, a client's `$cancel`, a closed connection) before their answer. */
  cancelled: number
  /** Replies that arrived after their request timed out or was cancelled (or twice), and were discarded. */
  lateReplies: number
  /** Pushes that arrived at this node for connections it no longer has. */
  pushesDropped: number
  /** Replies and pushes this process could not send (broker down, or refusing under flow control); dropped. */
  sendsRefused: number
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000
export const DEFAULT_MAX_PENDING = 10_000
/** How often, at most, the "no service is subscribed" warning is logged per pattern. */
const NO_SERVICE_WARNING_MS = 30_000

interface PendingRequest {
  resolve(value: unknown): void
  reject(error: unknown): void
  timer: NodeJS.Timeout
  pattern: string
  /** The caller's signal and our listener on it, removed when the request settles. */
  signal?: AbortSignal
  onAbort?: () => void
}

/** Receives pushes arriving at a gateway node's inbox. */
export type PushSink = (record: PushRecord) => void

/**
 * The bridge's request/reply over a `BrokerLink` (the bridge's role on a
 * broker connection): `request` and `emit` from any process, and the plumbing
 * gateway nodes and microservices share. Create it
 * with a broker's factory (`amqpTransport`, `natsTransport`, `redisTransport`)
 * or `inProcessTransport()`, and pass it to `createGateway({ transport })` and
 * `createMicroservice({ transport })`.
 *
 * Every request settles exactly once: with the reply, the service's error, or
 * `TIMEOUT` / `UNAVAILABLE` / `BUSY` — a reply arriving after that is
 * discarded and counted in `stats.lateReplies`.
 *
 * @example
 * const transport = inProcessTransport()
 * const answer = await transport.request('demo.ask', { q: 1 }, { timeoutMs: 2000 })
 */
export class Transport implements ReportsBrokerState {
  readonly link: BrokerLink
  readonly logger: Logger
  readonly timeoutMs: number
  readonly maxPending: number
  readonly stats: TransportStats = { requests: 0, replies: 0, errors: 0, timeouts: 0, unavailable: 0, busy: 0, cancelled: 0, lateReplies: 0, pushesDropped: 0, sendsRefused: 0 }
  readonly #pending = new Map<string, PendingRequest>()
  readonly #inboxes = new Map<string, Promise<void>>()
  readonly #sinks = new Map<string, PushSink>()
  readonly #requests: RecordBatcher<string>
  readonly #inboxBatcher: RecordBatcher<string>
  readonly #broadcasts: RecordBatcher<''>
  readonly #cancels: RecordBatcher<''>
  #serviceBroadcast: Promise<void> | undefined
  readonly #cancelListeners = new Set<(record: CancelRecord) => void>()
  #id: string
  #replyInbox: Promise<void> | undefined
  #broadcast: Promise<void> | undefined
  #replyInboxOpen = false
  #nextCorrelation = 0
  /** When the last "no service" warning was logged, per pattern. */
  readonly #noServiceWarned = new Map<string, number>()
  #closed: Promise<void> | undefined

  constructor(link: BrokerLink, options: TransportOptions = {}) {
    if (options.id !== undefined && !/^[A-Za-z0-9_.]{1,64}$/.test(options.id)) {
      throw new GatewayError('CONFIG_INVALID', 'Option "id" must be 1-64 characters of letters, digits, "_" or "."')
    }
    for (const name of ['timeoutMs', 'maxPending'] as const) {
      const value = options[name]
      if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
        throw new GatewayError('CONFIG_INVALID', `Option "${name}" must be a positive integer, got ${String(value)}`)
      }
    }
    this.link = link
    this.#id = options.id ?? randomNodeId()
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING
    this.logger = options.logger ?? silentLogger
    this.#requests = new RecordBatcher((pattern, body, records) => this.#sendRequests(pattern, body, records), !link.batchRequests)
    this.#inboxBatcher = new RecordBatcher((inbox, body, records) => this.#send('inbox', this.link.sendToInbox(inbox, body), records.length))
    this.#broadcasts = new RecordBatcher((_key, body, records) => this.#send('broadcast', this.link.broadcast(body), records.length))
    this.#cancels = new RecordBatcher((_key, body, records) => this.#send('cancel', this.link.broadcastToServices!(body), records.length))
  }

  /** The broker kind: `amqp`, `nats`, `redis` or `in-process`. */
  get kind(): string {
    return this.link.kind
  }

  /** The inbox replies to this process's requests are addressed to. */
  get id(): string {
    return this.#id
  }

  /** Requests awaiting their answer. */
  get pending(): number {
    return this.#pending.size
  }

  /** Connects to the broker (requests and services connect on first use anyway). */
  async connect(): Promise<void> {
    this.#assertOpen()
    await this.link.connect()
  }

  /**
   * Sends `data` to the service handling `pattern` and resolves with its reply.
   * Rejects with a `WsError`: the service's own (wire-safe) error, `INTERNAL`,
   * `TIMEOUT` (at `timeoutMs` or `deadline`, whichever comes first), `CANCELLED`
   * (the `signal` aborted), `UNAVAILABLE` (broker down, no service listening where
   * the broker can tell) or `BUSY`.
   *
   * A pattern is a string of letters, digits, `.`, `:`, `_` and `-`, or an object
   * (a NestJS message pattern such as `{ cmd: 'sum' }`, normalized like NestJS does).
   */
  request<R = unknown>(pattern: MessagePattern, data: unknown, options: RequestOptions = {}): Promise<R> {
    const { signal } = options
    if (signal?.aborted) {
      this.stats.cancelled++
      return Promise.reject(cancelledError('cancelled'))
    }
    const started = this.#start<R>(pattern, data, options)
    const { correlation } = started
    const pending = correlation === undefined ? undefined : this.#pending.get(correlation)
    if (signal !== undefined && pending !== undefined) {
      pending.signal = signal
      pending.onAbort = () => this.#cancel(correlation!, 'cancelled')
      signal.addEventListener('abort', pending.onAbort, { once: true })
    }
    return started.answer
  }

  /**
   * @internal The gateway's request: like `request`, and `cancel` fails it `CANCELLED`
   * and tells the service, without an `AbortSignal` per request.
   */
  requestCancellable<R = unknown>(pattern: MessagePattern, data: unknown, options: RequestOptions = {}): CancellableRequest<R> {
    const { answer, correlation } = this.#start<R>(pattern, data, options)
    return { answer, cancel: correlation === undefined ? noop : (why) => this.#cancel(correlation, why) }
  }

  #start<R>(pattern: MessagePattern, data: unknown, options: RequestOptions): { answer: Promise<R>; correlation: string | undefined } {
    let route: string
    let refused: WsError | undefined
    try {
      route = patternRoute(pattern)
      refused = this.#refusal()
    } catch (err) {
      return { answer: Promise.reject(err), correlation: undefined }
    }
    if (refused) return { answer: Promise.reject(refused), correlation: undefined }
    const now = Date.now()
    let expiresAt = now + (options.timeoutMs ?? this.timeoutMs)
    if (options.deadline !== undefined && options.deadline < expiresAt) expiresAt = options.deadline
    const correlation = (this.#nextCorrelation++).toString(36)
    const record: RequestRecord = { t: 'q', c: correlation, p: route, d: data, m: options.meta ?? {}, r: this.#id, x: expiresAt }
    this.stats.requests++
    const answer = new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => this.#timeout(correlation, expiresAt), Math.max(0, expiresAt - now))
      this.#pending.set(correlation, { resolve: resolve as (value: unknown) => void, reject, timer, pattern: route })
    })
    if (this.#replyInboxOpen) this.#queueRequest(record)
    else this.#openReplyInbox().then(() => this.#queueRequest(record), (err: unknown) => this.#fail(correlation, unavailable(err)))
    return { answer, correlation }
  }

  /** Sends `data` to one service handling `pattern`, with no reply. Resolves once the broker took it. */
  async emit(pattern: MessagePattern, data: unknown, options: { meta?: ForwardMeta; id?: string } = {}): Promise<void> {
    const route = patternRoute(pattern)
    const refused = this.#refusal()
    if (refused) throw refused
    // Events carry no reply inbox, so their id names this transport (or the caller's idempotency key): services dedupe on it.
    const id = options.id ?? `${this.#id}.${(this.#nextCorrelation++).toString(36)}`
    const record: RequestRecord = { t: 'q', c: id, p: route, d: data, m: options.meta ?? {} }
    await this.link.connect()
    if (this.link.sendRecord !== undefined) await this.link.sendRecord(record)
    else await this.link.sendRequest(route, Buffer.from(`[${JSON.stringify(record)}]`), { expiresAt: undefined, replyInbox: undefined, correlationIds: [record.c] })
  }

  /**
   * Opens the inbox of a gateway node: replies to requests made through this
   * transport and pushes addressed to the node's connections arrive there.
   * Used by `createGateway({ transport })`.
   */
  attachNode(nodeId: string, sink: PushSink): Promise<void> {
    this.#assertOpen()
    if (!this.#replyInbox) this.#id = nodeId
    this.#sinks.set(nodeId, sink)
    return nodeId === this.#id ? this.#openReplyInbox() : this.#openInbox(nodeId)
  }

  /** Stops receiving for a gateway node. */
  async detachNode(nodeId: string): Promise<void> {
    this.#sinks.delete(nodeId)
    if (nodeId !== this.#id) {
      this.#inboxes.delete(nodeId)
      await this.link.closeInbox(nodeId)
    }
  }

  /**
   * Reports the broker connection's state as `bridge:<kind>` (health,
   * metrics); `createGateway({ transport })` wires it. The in-process
   * transport has no broker and reports nothing.
   */
  reportBrokerStateTo(listener: BrokerStateListener): void {
    const component = `bridge:${this.link.kind}`
    this.link.watchState?.((state) => listener(component, state))
  }

  /** Receives broadcast pushes (to users and rooms) for every attached gateway node. Idempotent; a failed open is retried on next call. */
  openBroadcast(): Promise<void> {
    // Once per transport: a second subscription would deliver every broadcast push twice.
    if (!this.#broadcast) {
      const opened = this.link.openBroadcast(this.#receiveBroadcast)
      this.#broadcast = opened
      opened.catch(() => {
        if (this.#broadcast === opened) this.#broadcast = undefined
      })
    }
    return this.#broadcast
  }

  readonly #receiveBroadcast = (body: Uint8Array): void => this.#receive(body, undefined)

  /** Service side: consumes a pattern's work queue. */
  async consume(pattern: string, deliver: (delivery: Delivery) => void, options: ConsumeOptions): Promise<void> {
    this.#assertOpen()
    await this.link.connect()
    await this.link.consume(pattern, deliver, options)
  }

  /**
   * Service side: receives the cancellations requesters send to every service (the
   * link's service broadcast is opened once per transport, for every microservice on
   * it; links that cannot carry cancellations resolve at once).
   */
  listenForCancels(receive: (record: CancelRecord) => void): Promise<void> {
    this.#cancelListeners.add(receive)
    if (this.link.openServiceBroadcast === undefined) return Promise.resolve()
    if (this.#serviceBroadcast === undefined) {
      const opened = this.link.connect().then(() =>
        this.link.openServiceBroadcast!((body) => {
          for (const record of decodeRecords(body) ?? []) {
            if (record.t !== 'k' || typeof record.c !== 'string' || typeof record.r !== 'string') continue
            for (const listener of this.#cancelListeners) listener(record)
          }
        }),
      )
      this.#serviceBroadcast = opened
      // A failed open is tried again by the next listener.
      opened.catch(() => {
        if (this.#serviceBroadcast === opened) this.#serviceBroadcast = undefined
      })
    }
    return this.#serviceBroadcast
  }

  /** Queues a record for an inbox (a reply, or a push to a node's connections). Throws if it cannot be serialized. */
  sendToInbox(inbox: string, record: BridgeRecord): void {
    this.#inboxBatcher.add(inbox, record)
  }

  /** Queues a push for every gateway node. Throws if it cannot be serialized. */
  broadcast(record: PushRecord): void {
    this.#broadcasts.add('', record)
  }

  /** Sends the replies and pushes queued in this loop turn now, instead of at its end. */
  flushOutgoing(): void {
    this.#inboxBatcher.flush()
    this.#broadcasts.flush()
  }

  /** Fails every pending request with `UNAVAILABLE` and closes the broker connections. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#requests.flush()
      this.#inboxBatcher.flush()
      this.#broadcasts.flush()
      this.#cancels.flush()
      for (const correlation of [...this.#pending.keys()]) this.#fail(correlation, new WsError('UNAVAILABLE', 'The service is unavailable'))
      await this.link.close()
    })()
    return this.#closed
  }

  #assertOpen(): void {
    if (this.#closed) throw new GatewayError('CLOSED', 'This transport is closed')
  }

  #refusal(): WsError | undefined {
    const code = this.#closed ? 'UNAVAILABLE' : this.link.unavailable()
    if (code === undefined && this.#pending.size < this.maxPending) return undefined
    if (code === 'UNAVAILABLE') {
      this.stats.unavailable++
      return new WsError('UNAVAILABLE', 'The service is unavailable')
    }
    this.stats.busy++
    if (code === undefined) this.logger.warn({ pending: this.#pending.size }, 'too many requests in flight; answering BUSY')
    return new WsError('BUSY', 'The service is busy; retry later')
  }

  #openReplyInbox(): Promise<void> {
    this.#replyInbox ??= this.#openInbox(this.#id).then(() => {
      this.#replyInboxOpen = true
    })
    return this.#replyInbox
  }

  #openInbox(id: string): Promise<void> {
    let opened = this.#inboxes.get(id)
    if (!opened) {
      const sink = () => this.#sinks.get(id)
      opened = this.link.connect().then(() => this.link.openInbox(id, (body) => this.#receive(body, sink())))
      this.#inboxes.set(id, opened)
      // A failed open is retried on next use.
      opened.catch(() => {
        if (this.#inboxes.get(id) === opened) this.#inboxes.delete(id)
        if (id === this.#id) this.#replyInbox = undefined
      })
    }
    return opened
  }

  #queueRequest(record: RequestRecord): void {
    if (!this.#pending.has(record.c)) return // timed out while the inbox opened
    let sent: Promise<void> | undefined
    try {
      // A link that encodes each record itself sends it now; the others get it batched.
      if (this.link.sendRecord !== undefined) sent = this.link.sendRecord(record)
      else this.#requests.add(record.p, record)
    } catch (err) {
      this.logger.warn({ pattern: record.p, err }, 'request data cannot be serialized')
      this.#fail(record.c, new WsError('INVALID_PAYLOAD', 'The data cannot be serialized'))
      return
    }
    sent?.catch((err: unknown) => {
      this.logger.warn({ pattern: record.p, err }, 'the broker did not take a request')
      this.#fail(record.c, unavailable(err))
    })
  }

  #sendRequests(pattern: string, body: Buffer, records: readonly BridgeRecord[]): void {
    const requests = records as readonly RequestRecord[]
    const info = { expiresAt: requests[requests.length - 1]!.x, replyInbox: requests[0]!.r, correlationIds: requests.map((r) => r.c) }
    this.link.sendRequest(pattern, body, info).catch((err: unknown) => {
      const error = unavailable(err)
      this.logger.warn({ pattern, requests: records.length, err }, 'the broker did not take a request')
      for (const record of records) this.#fail((record as RequestRecord).c, error)
    })
  }

  #send(what: string, sent: Promise<void>, records: number): void {
    sent.catch((err: unknown) => {
      this.stats.sendsRefused += records
      // Under flow control the link logs the block once; a line per refused message would flood the log.
      if (err instanceof GatewayError && err.code === 'BUSY') return
      this.logger.warn({ err, link: this.link.kind }, `a ${what} message could not be sent`)
    })
  }

  #receive(body: Uint8Array | readonly BridgeRecord[], sink: PushSink | undefined): void {
    const records = Array.isArray(body) ? (body as readonly BridgeRecord[]) : decodeRecords(body as Uint8Array)
    if (records === undefined) {
      this.logger.warn({ link: this.link.kind, bytes: (body as Uint8Array).byteLength }, 'discarded a message that is not a bridge record batch')
      return
    }
    for (const record of records) {
      if (record.t === 'a') this.#settle(record.c, record.d, undefined)
      else if (record.t === 'e') this.#settle(record.c, undefined, record.e)
      else if (record.t === 'p') {
        if (sink) sink(record)
        else if (this.#sinks.size > 0) for (const each of this.#sinks.values()) each(record)
        else this.stats.pushesDropped++
      }
    }
  }

  #settle(correlation: string, data: unknown, error: ErrorRecord['e'] | undefined): void {
    const pending = this.#pending.get(correlation)
    if (pending === undefined) {
      this.stats.lateReplies++
      return
    }
    this.#forget(correlation, pending)
    if (error === undefined) {
      this.stats.replies++
      pending.resolve(data)
    } else {
      this.stats.errors++
      if (error?.reason === 'no-service') this.#warnNoService(pending.pattern)
      const code = isWellFormedCode(error?.code) ? error.code : 'INTERNAL'
      pending.reject(new WsError(code, typeof error?.message === 'string' ? error.message : 'Internal error'))
    }
  }

  /** Says, at most every NO_SERVICE_WARNING_MS per pattern, that requests are refused because no service subscribes. */
  #warnNoService(pattern: string): void {
    const now = Date.now()
    if (now - (this.#noServiceWarned.get(pattern) ?? -Infinity) < NO_SERVICE_WARNING_MS) return
    this.#noServiceWarned.set(pattern, now)
    this.logger.warn(
      { pattern, link: this.link.kind },
      `no service is subscribed to "${pattern}": requests are answered UNAVAILABLE until one is (start it; or let the broker hold requests meanwhile, see docs/bridge.md)`,
    )
  }

  #timeout(correlation: string, expiresAt: number): void {
    const pending = this.#pending.get(correlation)
    if (pending === undefined) return
    // Timers run on a monotonic clock and may fire a millisecond before Date.now() reaches the deadline; a
    // service that sees the request at that instant would run it after its client was told TIMEOUT.
    const early = expiresAt - Date.now()
    if (early > 0) return void (pending.timer = setTimeout(() => this.#timeout(correlation, expiresAt), early))
    this.#forget(correlation, pending)
    this.stats.timeouts++
    this.logger.info({ pattern: pending.pattern, correlation }, 'request timed out')
    pending.reject(new WsError('TIMEOUT', 'The service did not answer in time'))
  }

  #fail(correlation: string, error: WsError): void {
    const pending = this.#pending.get(correlation)
    if (pending === undefined) return
    this.#forget(correlation, pending)
    if (error.code === 'BUSY') this.stats.busy++
    else this.stats.unavailable++
    pending.reject(error)
  }

  /** The caller gave up: answer `CANCELLED` now, and tell the service (which may not have started yet). */
  #cancel(correlation: string, why: CancelReason): void {
    const pending = this.#pending.get(correlation)
    if (pending === undefined) return
    this.#forget(correlation, pending)
    this.stats.cancelled++
    pending.reject(cancelledError(why))
    if (this.link.broadcastToServices === undefined) return
    const record: CancelRecord = { t: 'k', c: correlation, r: this.#id, w: why }
    this.#cancels.add('', record)
  }

  #forget(correlation: string, pending: PendingRequest): void {
    this.#pending.delete(correlation)
    clearTimeout(pending.timer)
    if (pending.onAbort !== undefined) pending.signal!.removeEventListener('abort', pending.onAbort)
  }
}

function noop(): void {}

/** The answer to a request its caller gave up on. */
export function cancelledError(why: CancelReason): WsError {
  return new WsError('CANCELLED', why === 'disconnected' ? 'The connection closed before the answer' : 'The request was cancelled')
}

/** The wire error for a broker failure: the link's own `BUSY`/`UNAVAILABLE`, else `UNAVAILABLE`. */
function unavailable(err: unknown): WsError {
  if (err instanceof WsError) return err
  if (err instanceof GatewayError && err.code === 'BUSY') return new WsError('BUSY', 'The service is busy; retry later')
  return new WsError('UNAVAILABLE', 'The service is unavailable')
}
