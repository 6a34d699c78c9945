import type { BrokerState } from '../broker/broker-state.js'
import { checkOneOf } from '../errors/option-checks.js'
import type { Logger } from '../logging/logger.js'
import { decodeRecords, type BridgeRecord, type ErrorRecord, type ForwardMeta, type ReplyRecord, type RequestRecord } from './bridge-records.js'
import type { BrokerLink, ConsumeOptions, Delivery, RequestInfo } from './broker-link.js'
import { nestRouteOfBodyPattern } from './nest-route.js'
import { encodeNestNoHandler, encodeNestReply, encodeNestRequest, nestHeaders, nestMetadata, readNestReply, readNestRequest, wireErrorOfNest } from './nest-packets.js'
import type { NestIncoming, NestWire } from './nest-wire.js'

/** The `wire` option of `amqpTransport`, `natsTransport` and `redisTransport`. */
export interface WireOptions {
  /**
   * How requests and events travel: `'gangway'` (gangway's own records: work queues
   * per pattern, batching, at least once on RabbitMQ, Redis and JetStream), or
   * `'nest'`, the messages and reply conventions of an unmodified NestJS
   * microservice on the same broker (`Transport.RMQ`, `Transport.NATS`,
   * `Transport.REDIS`), in both directions: `forward()` to a NestJS service, a NestJS
   * `ClientProxy` to a gangway `createMicroservice`. Pushes travel the gangway way
   * either way. Requesters and services must agree. @default 'gangway'
   */
  wire?: 'gangway' | 'nest'
}

/** The link a broker factory builds for its `wire` option: its gangway link, or the NestJS wire on top of it. */
export function linkForWire(options: WireOptions, gangway: BrokerLink, nest: () => NestWire, logger: () => Logger): BrokerLink {
  const wire = options.wire ?? 'gangway'
  checkOneOf('wire', wire, ['gangway', 'nest'])
  return wire === 'nest' ? new NestLink(gangway, nest(), logger) : gangway
}

/** The reply inbox of requests that came from NestJS clients: answers to it leave as NestJS replies. */
export const NEST_REPLY_INBOX = '~nest'

/** A request sent to a NestJS service, until its last reply frame. */
interface InFlight {
  readonly inbox: string
  readonly correlation: string
  readonly deadline: number
  /** The latest `response` of a stream (a NestJS handler's Observable): the answer if the stream ends without one. */
  last: unknown
  hasLast: boolean
}

/** Requests sent between two sweeps of the in-flight table. */
const SWEEP_EVERY = 256

/**
 * The bridge speaking NestJS's own wire (`wire: 'nest'` on `amqpTransport`,
 * `natsTransport`, `redisTransport`), so a gateway can `forward()` to an
 * unmodified NestJS microservice and a NestJS `ClientProxy` can call a gangway
 * `createMicroservice` handler.
 *
 * Requests and events travel as NestJS messages through the broker's `NestWire`;
 * everything else — the gateway node's inbox and broadcast for pushes
 * (`ctx.push`, `service.server()`), which NestJS has no message for — stays on
 * the gangway link it is built with, on the same broker connection.
 *
 * - Request ids are `<reply inbox>-<correlation>`: unique across processes (Redis
 *   delivers every reply of a route to every requester of it).
 * - A stream (a NestJS handler returning an Observable of several values) is
 *   answered with its **last** `response` before `isDisposed`; an empty one with `null`.
 * - Errors: see `wireErrorOfNest`; the service's raw `err` is logged at debug level only.
 * - Cancellations do not cross (NestJS has no such message); `ctx.signal` of a
 *   gangway service on this wire still aborts at the deadline.
 */
export class NestLink implements BrokerLink {
  readonly guarantee = 'at-most-once' as const
  readonly batchRequests = false
  readonly #base: BrokerLink
  readonly #wire: NestWire
  readonly #logger: () => Logger
  readonly #inboxes = new Map<string, (body: Uint8Array | readonly BridgeRecord[]) => void>()
  readonly #inflight = new Map<string, InFlight>()
  readonly #consumers = new Map<string, (delivery: Delivery) => void>()
  /** Requests from NestJS clients awaiting their handler's answer, by the correlation given them here. */
  readonly #answers = new Map<string, { readonly reply: (body: Buffer) => void; readonly id: unknown }>()
  #repliesOpen: Promise<void> | undefined
  #sent = 0
  #nextIncoming = 0

  constructor(base: BrokerLink, wire: NestWire, logger: () => Logger) {
    this.#base = base
    this.#wire = wire
    this.#logger = logger
  }

  get kind(): string {
    return this.#base.kind
  }

  unavailable(): 'UNAVAILABLE' | 'BUSY' | undefined {
    return this.#base.unavailable() ?? this.#wire.unavailable?.()
  }

  watchState(listener: (state: BrokerState) => void): void {
    this.#base.watchState?.(listener)
  }

  async connect(): Promise<void> {
    await this.#base.connect()
    await this.#wire.connect?.()
  }

  async openInbox(id: string, receive: (body: Uint8Array | readonly BridgeRecord[]) => void): Promise<void> {
    this.#inboxes.set(id, receive)
    await this.connect()
    this.#repliesOpen ??= this.#wire
      .openReplies({
        reply: (replyId, body) => this.#reply(replyId, body),
        unroutable: (requestId) => this.#unroutable(requestId),
        lost: () => {
          for (const requestId of [...this.#inflight.keys()]) this.#unroutable(requestId)
        },
      })
      .catch((err: unknown) => {
        this.#repliesOpen = undefined
        throw err
      })
    await this.#repliesOpen
    // Pushes still arrive the gangway way.
    await this.#base.openInbox(id, receive)
  }

  async closeInbox(id: string): Promise<void> {
    this.#inboxes.delete(id)
    await this.#base.closeInbox(id)
  }

  openBroadcast(receive: (body: Uint8Array) => void): Promise<void> {
    return this.#base.openBroadcast(receive)
  }

  async sendRequest(_route: string, body: Buffer, _info: RequestInfo): Promise<void> {
    for (const record of decodeRecords(body) ?? []) if (record.t === 'q') await this.sendRecord(record)
  }

  sendRecord(record: RequestRecord): Promise<void> {
    const id = record.r === undefined ? undefined : `${record.r}-${record.c}`
    const deadline = record.x
    const metadata = nestMetadata(record.m ?? {}, deadline)
    // Encoded before anything is tracked: data that is not JSON throws here, for its caller.
    const packet = encodeNestRequest(record.p, record.d, metadata, id)
    if (id !== undefined) this.#track(id, record, deadline ?? Date.now())
    return this.#wire.send(record.p, packet, { id, deadline, headers: nestHeaders(metadata) }).catch((err: unknown) => {
      if (id !== undefined) this.#inflight.delete(id)
      throw err
    })
  }

  sendToInbox(id: string, body: Buffer): Promise<void> {
    if (id !== NEST_REPLY_INBOX) return this.#base.sendToInbox(id, body)
    for (const record of decodeRecords(body) ?? []) {
      if (record.t !== 'a' && record.t !== 'e') continue
      const waiting = this.#answers.get(record.c)
      if (waiting === undefined) continue
      this.#answers.delete(record.c)
      waiting.reply(encodeNestReply(record, waiting.id))
    }
    return Promise.resolve()
  }

  broadcast(body: Buffer): Promise<void> {
    return this.#base.broadcast(body)
  }

  async consume(route: string, deliver: (delivery: Delivery) => void, options: ConsumeOptions): Promise<void> {
    this.#consumers.set(route, deliver)
    await this.connect()
    await this.#wire.serve(route, options, this.#incoming)
  }

  async close(): Promise<void> {
    await this.#wire.close()
    await this.#base.close()
  }

  #track(id: string, record: RequestRecord, deadline: number): void {
    this.#inflight.set(id, { inbox: record.r!, correlation: record.c, deadline, last: undefined, hasLast: false })
    // Requests whose reply never came (timed out at the requester) leave once past their deadline.
    if (++this.#sent % SWEEP_EVERY === 0) {
      const now = Date.now()
      for (const [key, entry] of this.#inflight) if (entry.deadline < now) this.#inflight.delete(key)
    }
  }

  #reply(id: string | undefined, body: Uint8Array): void {
    const frame = readNestReply(body)
    // The broker's id wins; a body naming another request is someone else's (NestJS's NATS client rule).
    if (id !== undefined && frame.id !== undefined && frame.id !== id) return
    const key = id ?? (typeof frame.id === 'string' ? frame.id : undefined)
    const entry = key === undefined ? undefined : this.#inflight.get(key)
    if (entry === undefined) return // another requester's (a Redis reply channel is shared), or answered already
    if (frame.kind === 'next') {
      entry.last = frame.response
      entry.hasLast = true
      return
    }
    this.#inflight.delete(key!)
    if (frame.kind === 'error') {
      this.#logger().debug({ link: this.kind, wire: 'nest', err: frame.err }, 'the NestJS service answered an error')
      this.#deliver(entry, { t: 'e', c: entry.correlation, e: wireErrorOfNest(frame.err) })
      return
    }
    const response = frame.hasResponse ? frame.response : entry.hasLast ? entry.last : null
    this.#deliver(entry, { t: 'a', c: entry.correlation, d: response })
  }

  #unroutable(id: string): void {
    const entry = this.#inflight.get(id)
    if (entry === undefined) return
    this.#inflight.delete(id)
    this.#deliver(entry, { t: 'e', c: entry.correlation, e: { code: 'UNAVAILABLE', message: 'The service is unavailable' } })
  }

  #deliver(entry: InFlight, record: ReplyRecord | ErrorRecord): void {
    this.#inboxes.get(entry.inbox)?.([record])
  }

  /** A NestJS client's request or event, handed to the consumer of its route as a request record. */
  readonly #incoming = (incoming: NestIncoming): void => {
    const packet = readNestRequest(incoming.body, incoming.route)
    const route = incoming.route ?? nestRouteOfBodyPattern(packet.pattern)
    const deliver = this.#consumers.get(route)
    const reply = packet.id !== undefined ? incoming.reply : undefined
    if (deliver === undefined) {
      // As a NestJS RabbitMQ server does; on NATS and Redis nothing unserved is subscribed.
      if (reply !== undefined) reply(encodeNestNoHandler(packet.id))
      this.#logger().warn({ link: this.kind, wire: 'nest', route }, 'no handler for a NestJS message')
      incoming.done(false)
      return
    }
    const correlation = (this.#nextIncoming++).toString(36)
    const deadline = incoming.deadline ?? deadlineOf(packet.metadata?.deadline)
    const record: RequestRecord = {
      t: 'q',
      c: correlation,
      p: route,
      d: packet.data,
      m: (packet.metadata ?? {}) as ForwardMeta,
      ...(reply === undefined ? {} : { r: NEST_REPLY_INBOX }),
      ...(deadline === undefined ? {} : { x: deadline }),
    }
    if (reply !== undefined) this.#answers.set(correlation, { reply, id: packet.id })
    deliver({
      body: Buffer.from(JSON.stringify([record])),
      redelivered: incoming.redelivered,
      done: () => {
        this.#answers.delete(correlation)
        incoming.done(true)
      },
    })
  }
}

/** A deadline header or metadata value: epoch ms as a string (or number). */
export function deadlineOf(value: unknown): number | undefined {
  const deadline = typeof value === 'number' ? value : typeof value === 'string' && value.length > 0 ? Number(value) : Number.NaN
  return Number.isFinite(deadline) && deadline > 0 ? deadline : undefined
}
