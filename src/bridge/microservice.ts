import { GatewayError, isWireSafe } from '../errors/gateway-error.js'
import type { Logger } from '../logging/logger.js'
import { decodeRecords, type CancelRecord, type ErrorRecord, type ForwardMeta, type ReplyRecord, type RequestRecord } from './bridge-records.js'
import type { Delivery } from './broker-link.js'
import { DedupeWindow } from './dedupe-window.js'
import { inProcessTransport } from './in-process-transport.js'
import { RemotePush, type RemotePushOperator } from './remote-push.js'
import { CONNECTION_EVENTS_PATTERN, type ConnectionEvent } from './connection-events.js'
import { patternRoute, type MessagePattern } from './message-pattern.js'
import { RequestContext, type ServiceContext } from './service-context.js'
import { cancelledError, type Transport } from './transport.js'

/** A service handler: its return value (or resolved value) is the reply; a thrown `WsError` reaches the client as is. */
export type ServiceHandler<In = unknown, Out = unknown, Meta extends ForwardMeta = ForwardMeta> = (data: In, ctx: ServiceContext<Meta>) => Out | Promise<Out>

/** Options of `createMicroservice`. */
export interface MicroserviceOptions {
  /** The broker connection. @default `inProcessTransport()` on the process-wide in-process broker */
  transport?: Transport
  /**
   * Instances in one group share a pattern's messages: the NATS queue group,
   * the Redis consumer group, the JetStream durable consumer. (RabbitMQ has one
   * queue per pattern, shared by every instance whatever its group.) @default 'gangway'
   */
  group?: string
  /** Messages this instance takes before acknowledging any, per pattern. @default 64 */
  prefetch?: number
  /**
   * Requests remembered to drop redeliveries this instance already handled, and
   * requests cancelled before they reached it (skipped when they do); 0 turns it off.
   * @default 10000
   */
  dedupeEntries?: number
  /** How long a handled request is remembered. @default 120000 */
  dedupeTtlMs?: number
  /** How long `close()` waits for handlers in flight. @default 10000 */
  shutdownTimeoutMs?: number
  /** A pino-compatible logger. @default the transport's */
  logger?: Logger
}

/** Counters of one microservice. */
export interface MicroserviceStats {
  /** Messages handled (requests and events). */
  handled: number
  /** Handlers that threw or rejected. */
  failed: number
  /** Redeliveries this instance had already handled or was handling (not run again). */
  duplicates: number
  /** Requests dropped unhandled because their deadline had passed (the requester answered `TIMEOUT`). */
  expired: number
  /** Requests their requester cancelled: aborted while running (`ctx.signal`), or skipped before they started. */
  cancelled: number
}

export const DEFAULT_PREFETCH = 64

/**
 * The service side of the bridge: handles patterns, replies, and pushes to
 * sockets. A message is acknowledged to the broker only after its handler
 * finished and its reply was handed to the broker, so a service that dies
 * mid-message has it redelivered (on brokers that can; see `docs/bridge.md`).
 *
 * @example
 * const service = createMicroservice({ transport: amqpTransport(url) })
 * service.handle('demo.ask', async (data, ctx) => {
 *   ctx.push('progress', { step: 1 })
 *   return { answer: data }
 * })
 * await service.listen()
 */
export class Microservice {
  readonly transport: Transport
  readonly stats: MicroserviceStats = { handled: 0, failed: 0, duplicates: 0, expired: 0, cancelled: 0 }
  readonly #handlers = new Map<string, ServiceHandler>()
  /** Handlers running now, by `<reply inbox>/<correlation>`: a cancellation aborts their signal. */
  readonly #running = new Map<string, RequestContext>()
  readonly #consuming = new Set<string>()
  readonly #dedupe: DedupeWindow
  readonly #ownsTransport: boolean
  readonly #logger: Logger
  readonly #group: string
  readonly #prefetch: number
  readonly #shutdownTimeoutMs: number
  #inflight = 0
  #toAcknowledge: Delivery[] = []
  #idle: Array<() => void> = []
  #listening: Promise<void> | undefined
  #closed: Promise<void> | undefined

  constructor(options: MicroserviceOptions = {}) {
    const prefetch = options.prefetch ?? DEFAULT_PREFETCH
    if (!Number.isSafeInteger(prefetch) || prefetch <= 0) invalid('prefetch', `must be a positive integer, got ${String(prefetch)}`)
    const group = options.group ?? 'gangway'
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(group)) invalid('group', 'must be 1-64 letters, digits, ".", "_" or "-"')
    this.#ownsTransport = options.transport === undefined
    this.transport = options.transport ?? inProcessTransport()
    this.#logger = options.logger ?? this.transport.logger
    this.#group = group
    this.#prefetch = prefetch
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000
    this.#dedupe = new DedupeWindow(options.dedupeEntries ?? 10_000, options.dedupeTtlMs ?? 120_000)
  }

  /**
   * Handles `pattern`: a string, or an object pattern (`{ cmd: 'sum' }`, as a
   * NestJS `ClientProxy` sends it on a `wire: 'nest'` transport). Can be called
   * before or after `listen()`.
   */
  handle<In = unknown, Out = unknown>(pattern: MessagePattern, handler: ServiceHandler<In, Out>): this {
    let route: string
    try {
      route = patternRoute(pattern)
    } catch (cause) {
      throw new GatewayError('CONFIG_INVALID', (cause as Error).message, { cause })
    }
    if (typeof handler !== 'function') throw new GatewayError('CONFIG_INVALID', `The handler of "${route}" must be a function`)
    if (this.#handlers.has(route)) throw new GatewayError('CONFIG_INVALID', `"${route}" is handled twice`)
    this.#handlers.set(route, handler as ServiceHandler<unknown, unknown>)
    if (this.#listening) void this.#consume(route).catch((err: unknown) => this.#logger.error({ pattern: route, err }, 'could not consume'))
    return this
  }

  /**
   * Receives the connection lifecycle events of gateways that publish them
   * (`connectionEvents: true` on a gateway): connected, disconnected (with close
   * code and reason), joined / left a room, and `nodeLost` for every connection of
   * a gateway node that died without closing them. The place to release state a
   * service keeps per connection. Events go to one instance of a service group,
   * like any pattern (`gangway.connection`).
   *
   * @example
   * service.onConnectionEvent((event) => {
   *   if (event.type === 'disconnected') sessions.delete(event.connectionId)
   *   if (event.type === 'nodeLost') sessions.deleteWhere((id) => nodeOfConnection(id) === event.nodeId)
   * })
   */
  onConnectionEvent(listener: (event: ConnectionEvent, ctx: ServiceContext) => unknown): this {
    return this.handle(CONNECTION_EVENTS_PATTERN, listener as ServiceHandler)
  }

  /** Starts taking messages for every handled pattern. Resolves once the broker delivers to this instance. */
  listen(): Promise<void> {
    if (this.#closed) return Promise.reject(new GatewayError('CLOSED', 'This microservice is closed'))
    this.#listening ??= Promise.all([
      ...[...this.#handlers.keys()].map((pattern) => this.#consume(pattern)),
      this.transport.listenForCancels((record) => this.#cancelled(record)),
    ]).then(() => undefined)
    return this.#listening
  }

  /** Pushes to connections of a namespace on any gateway node: `service.server().toUser(id).emit(...)`. */
  server(namespace = '/'): RemotePushOperator {
    return new RemotePush(this.transport, namespace)
  }

  /** Handlers running now. */
  get inflight(): number {
    return this.#inflight
  }

  /**
   * Stops handling new messages, lets handlers in flight finish (up to
   * `shutdownTimeoutMs`), then closes the transport if this service created it.
   * Messages not yet acknowledged go back to the broker for another instance
   * once the transport closes (close a transport you passed in yourself).
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#inflight > 0) {
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          new Promise<void>((resolve) => this.#idle.push(resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#shutdownTimeoutMs))),
        ])
        clearTimeout(timer)
      }
      if (this.#ownsTransport) await this.transport.close()
    })()
    return this.#closed
  }

  async #consume(pattern: string): Promise<void> {
    if (this.#consuming.has(pattern)) return
    this.#consuming.add(pattern)
    try {
      await this.transport.consume(pattern, (delivery) => this.#deliver(pattern, delivery), { prefetch: this.#prefetch, group: this.#group })
    } catch (err) {
      this.#consuming.delete(pattern)
      throw err
    }
  }

  #deliver(pattern: string, delivery: Delivery): void {
    // Closed: leave it unacknowledged, so the broker hands it to another instance once this transport closes.
    if (this.#closed) return
    const records = decodeRecords(delivery.body)
    if (records === undefined) {
      this.#logger.warn({ pattern, bytes: delivery.body.byteLength }, 'discarded a message that is not a bridge record batch')
      this.#acknowledgeSoon(delivery)
      return
    }
    let remaining = records.length
    if (remaining === 0) return this.#acknowledgeSoon(delivery)
    // Acknowledge after the replies were handed to the broker: the reply batch's setImmediate was queued first.
    const finish = () => {
      if (--remaining === 0) this.#acknowledgeSoon(delivery)
    }
    for (const record of records) {
      if (record.t === 'q' && typeof record.c === 'string') this.#run(record, delivery.redelivered, finish)
      else finish()
    }
  }

  /** Acknowledges on the next check phase, after this turn's replies left; one callback for all of them. */
  #acknowledgeSoon(delivery: Delivery): void {
    this.#toAcknowledge.push(delivery)
    if (this.#toAcknowledge.length === 1) {
      setImmediate(() => {
        const deliveries = this.#toAcknowledge
        this.#toAcknowledge = []
        // Replies first, whatever the order of the callbacks: an ack must never overtake its reply.
        this.transport.flushOutgoing()
        for (const each of deliveries) each.done()
      })
    }
  }

  #run(record: RequestRecord, redelivered: boolean, finish: () => void): void {
    const now = Date.now()
    if (record.x !== undefined && record.x <= now) {
      // The requester already answered its client TIMEOUT: running it now would only waste work.
      this.stats.expired++
      return finish()
    }
    const key = `${record.r ?? ''}/${record.c}`
    const seen = this.#dedupe.get(key, now)
    if (seen?.state === 'cancelled') {
      // Its requester answered CANCELLED already; nobody reads what it would return.
      this.stats.cancelled++
      return finish()
    }
    if (seen !== undefined) {
      this.stats.duplicates++
      if (seen.state === 'done' && seen.answer && record.r !== undefined) this.transport.sendToInbox(record.r, seen.answer)
      return finish()
    }
    const handler = this.#handlers.get(record.p)
    if (handler === undefined) {
      this.#answer(record, key, { t: 'e', c: record.c, e: { code: 'UNKNOWN_EVENT', message: 'No handler for this message' } })
      return finish()
    }
    this.#dedupe.set(key, { state: 'running' }, now)
    this.#inflight++
    const ctx = new RequestContext(this.transport, record, redelivered)
    this.#running.set(key, ctx)
    const done = () => {
      ctx.settle()
      if (this.#running.get(key) === ctx) this.#running.delete(key)
      finish()
    }
    let result: unknown
    try {
      result = handler(record.d, ctx)
    } catch (err) {
      return this.#failed(record, key, err, done)
    }
    if (result instanceof Promise) {
      result.then(
        (value) => this.#succeeded(record, key, value, done),
        (err: unknown) => this.#failed(record, key, err, done),
      )
    } else {
      this.#succeeded(record, key, result, done)
    }
  }

  /** A requester gave up: abort the handler's signal, or remember to skip the request when it arrives. */
  #cancelled(record: CancelRecord): void {
    const key = `${record.r}/${record.c}`
    const running = this.#running.get(key)
    if (running !== undefined) {
      this.stats.cancelled++
      running.abort(cancelledError(record.w === 'disconnected' ? 'disconnected' : 'cancelled'))
      return
    }
    if (this.#dedupe.get(key, Date.now()) === undefined) this.#dedupe.set(key, { state: 'cancelled' }, Date.now())
  }

  #succeeded(record: RequestRecord, key: string, value: unknown, finish: () => void): void {
    this.stats.handled++
    this.#answer(record, key, { t: 'a', c: record.c, d: value === undefined ? null : value })
    this.#settled(finish)
  }

  #failed(record: RequestRecord, key: string, err: unknown, finish: () => void): void {
    this.stats.handled++
    this.stats.failed++
    const where = { pattern: record.p, traceId: record.m?.traceId, connectionId: record.m?.connectionId }
    if (isWireSafe(err)) {
      this.#logger.info({ ...where, code: err.code }, `handler rejected: ${err.message}`)
      this.#answer(record, key, { t: 'e', c: record.c, e: { code: String(err.code), message: err.message } })
    } else {
      this.#logger.error({ ...where, err }, 'handler failed')
      this.#answer(record, key, { t: 'e', c: record.c, e: { code: 'INTERNAL', message: 'Internal error' } })
    }
    this.#settled(finish)
  }

  #answer(record: RequestRecord, key: string, answer: ReplyRecord | ErrorRecord): void {
    const cached = record.r === undefined ? undefined : this.#send(record, answer)
    this.#dedupe.set(key, { state: 'done', answer: cached }, Date.now())
  }

  /** Queues the answer; a reply that cannot be serialized becomes INTERNAL. Returns what was sent. */
  #send(record: RequestRecord, answer: ReplyRecord | ErrorRecord): ReplyRecord | ErrorRecord {
    try {
      this.transport.sendToInbox(record.r!, answer)
      return answer
    } catch (err) {
      this.#logger.error({ pattern: record.p, traceId: record.m?.traceId, err }, 'the reply cannot be serialized to JSON')
      const internal: ErrorRecord = { t: 'e', c: record.c, e: { code: 'INTERNAL', message: 'Internal error' } }
      this.transport.sendToInbox(record.r!, internal)
      return internal
    }
  }

  #settled(finish: () => void): void {
    finish()
    if (--this.#inflight === 0 && this.#idle.length > 0) for (const resolve of this.#idle.splice(0)) resolve()
  }
}

/**
 * Creates a microservice on a transport. Handlers get `(data, ctx)`: `ctx.meta`
 * says who sent it, `ctx.push(event, data)` reaches the originating socket.
 *
 * @example
 * const service = createMicroservice({ transport })
 *   .handle('demo.ask', async (data, ctx) => {
 *     ctx.push('progress', { done: 0.5 })
 *     return { answer: data }
 *   })
 * await service.listen()
 */
export function createMicroservice(options: MicroserviceOptions = {}): Microservice {
  return new Microservice(options)
}

function invalid(option: string, problem: string): never {
  throw new GatewayError('CONFIG_INVALID', `Option "${option}" ${problem}`)
}
