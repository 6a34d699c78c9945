import { randomBytes } from 'node:crypto'
import type { BroadcastTarget } from '../registry/namespace-adapter.js'
import type { Client } from '../contracts/client-server.js'
import type { CancellableRequests, FrameInfo, Handler } from '../contracts/handler.js'
import type { GatewayDefinition, HandlerDefinition } from '../definition/gateway-definition.js'
import type { Logger } from '../logging/logger.js'
import { encodePush } from '../registry/broadcast.js'
import type { TextFrame } from '../protocol/text-frame.js'
import type { ForwardMeta, PushRecord } from './bridge-records.js'
import { type ForwardBinding, forwardBindingOf } from './forward.js'
import type { Transport } from './transport.js'
import { reconnectDelay, type ReconnectBackoff } from '../broker/reconnect-backoff.js'

/** Retries of the node's inbox while the broker is unreachable: 150–250 ms at first, 3.75–6.25 s at most. */
const OPEN_RETRY_BACKOFF: ReconnectBackoff = Object.freeze({ initialDelayMs: 250, maxDelayMs: 6250, jitter: 0.4 })

/** Delivers a frame to local connections of a namespace; returns how many got it. */
export type LocalDelivery = (namespace: string, target: BroadcastTarget, frame: TextFrame) => number

/**
 * A gateway node's end of the bridge: binds `forward()` handlers to the
 * transport at mount, and delivers pushes arriving at the node's inbox (to
 * one of its connections) or on the broadcast (to users and rooms) to local
 * connections only — every node receives a broadcast push, so none of them
 * may pass it on through a cluster adapter.
 */
export class GatewayBridge {
  readonly #serializedUsers = new WeakMap<Client, { user: unknown } | undefined>()
  #opened: Promise<void> | undefined
  #failures = 0
  #retry: NodeJS.Timeout | undefined
  #closed = false

  constructor(
    readonly transport: Transport,
    readonly nodeId: string,
    private readonly deliver: LocalDelivery,
    private readonly logger: Logger,
    readonly ownsTransport: boolean,
  ) {
    // Retry at once when the broker comes back, instead of waiting out the backoff.
    transport.reportBrokerStateTo((_component, state) => {
      if (state === 'connected' && this.#failures > 0 && this.#opened === undefined && !this.#closed) {
        clearTimeout(this.#retry)
        this.#retry = undefined
        this.open().catch(() => {})
      }
    })
  }

  /** Whether a definition has forwarded handlers. */
  static forwards(definition: GatewayDefinition): boolean {
    return definition.handlers.some((handler) => forwardBindingOf(handler.handler) !== undefined)
  }

  /**
   * Opens the node's inbox and the broadcast subscription. If the broker cannot
   * be reached, the bridge keeps retrying in the background (backoff up to
   * about 6 s) until it can, so a gateway started before its broker starts working
   * once the broker appears; meanwhile forwarded requests answer UNAVAILABLE.
   */
  open(): Promise<void> {
    this.#opened ??= Promise.all([this.transport.attachNode(this.nodeId, (record) => this.#push(record)), this.transport.openBroadcast()]).then(
      () => {
        if (this.#failures > 0) this.logger.info({ transport: this.transport.kind, attempts: this.#failures + 1 }, 'the bridge opened its inbox')
        this.#failures = 0
      },
      (err: unknown) => {
        this.#opened = undefined
        if (this.#failures++ === 0) {
          this.logger.error({ err, transport: this.transport.kind }, 'the bridge could not open its inbox; forwarded requests answer UNAVAILABLE until the broker is back')
        } else {
          this.logger.debug({ err, transport: this.transport.kind, attempts: this.#failures }, 'the bridge still cannot open its inbox')
        }
        this.#retryLater()
        throw err
      },
    )
    return this.#opened
  }

  #retryLater(): void {
    if (this.#closed || this.#retry !== undefined) return
    const delay = reconnectDelay(this.#failures, OPEN_RETRY_BACKOFF)
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      if (!this.#closed) this.open().catch(() => {}) // a failure schedules the next try
    }, delay)
    this.#retry.unref()
  }

  /** A copy of `definition` whose `forward()` handlers send through this bridge. */
  bind(definition: GatewayDefinition): GatewayDefinition {
    if (!GatewayBridge.forwards(definition)) return definition
    const handlers = definition.handlers.map((handler): HandlerDefinition => {
      const binding = forwardBindingOf(handler.handler)
      return binding ? Object.freeze({ ...handler, handler: this.#forwarder(binding) }) : handler
    })
    return Object.freeze({ ...definition, handlers: Object.freeze(handlers) })
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#retry)
    await this.transport.detachNode(this.nodeId)
    if (this.ownsTransport) await this.transport.close()
  }

  #forwarder({ pattern, options }: ForwardBinding): Handler {
    const { transport } = this
    const timeoutMs = options.timeoutMs
    const extra = options.meta
    return (data: unknown, client: Client, frame?: FrameInfo) => {
      const meta = this.#meta(client, frame, extra)
      if (frame !== undefined && frame.id === undefined) return transport.emit(pattern, data, { meta }).then(() => undefined)
      const { answer, cancel } = transport.requestCancellable(pattern, data, { timeoutMs, deadline: frame?.deadline, meta })
      // The client's `$cancel` and the connection's close reach the request through its connection.
      const tracker = client as Partial<CancellableRequests>
      if (frame?.id !== undefined && typeof tracker.trackRequest === 'function') {
        const untrack = tracker.trackRequest(frame.id, cancel)
        answer.then(untrack, untrack)
      }
      return answer
    }
  }

  #meta(client: Client, frame: FrameInfo | undefined, extra: ((client: Client) => Record<string, unknown>) | undefined): ForwardMeta {
    const meta: Record<string, unknown> = extra ? { ...extra(client) } : {}
    meta.connectionId = client.id
    meta.nodeId = this.nodeId
    meta.namespace = client.namespace
    if (client.userId !== undefined) meta.userId = client.userId
    const user = this.#user(client)
    if (user !== undefined) meta.user = user.user
    if (frame !== undefined) {
      meta.event = frame.event
      if (frame.id !== undefined) meta.requestId = frame.id
    }
    meta.traceId = nextTraceId()
    return meta
  }

  /** The principal, when it survives JSON as is (checked once per connection). */
  #user(client: Client): { user: unknown } | undefined {
    if (client.user === undefined) return undefined
    if (this.#serializedUsers.has(client)) return this.#serializedUsers.get(client)
    let user: { user: unknown } | undefined
    try {
      const json = JSON.stringify(client.user)
      user = json === undefined ? undefined : { user: JSON.parse(json) }
    } catch {
      user = undefined
    }
    this.#serializedUsers.set(client, user)
    return user
  }

  #push(record: PushRecord): void {
    let frame: TextFrame
    try {
      frame = encodePush(record.e, record.d)
    } catch (err) {
      this.logger.warn({ err, event: record.e }, 'discarded a push that cannot be encoded')
      return
    }
    const target = record.g
    if (typeof record.n !== 'string' || typeof target !== 'object' || target === null) return
    const delivered = this.deliver(record.n, normalizeTarget(target), frame)
    if (delivered === 0 && target.connections?.length > 0 && (target.rooms?.length ?? 0) === 0 && (target.users?.length ?? 0) === 0) {
      this.transport.stats.pushesDropped++
      this.logger.debug({ connections: target.connections, event: record.e }, 'push for a connection this node no longer has')
    }
  }
}

// Trace ids: 16 random hex characters per process, then a 16-hex counter — unique, W3C-sized, and
// without a call into the random source per request.
const traceIdPrefix = randomBytes(8).toString('hex')
let traceCounter = 0

function nextTraceId(): string {
  return traceIdPrefix + (traceCounter++).toString(16).padStart(16, '0')
}

function normalizeTarget(target: Partial<BroadcastTarget>): BroadcastTarget {
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [])
  return {
    rooms: strings(target.rooms),
    users: strings(target.users),
    connections: strings(target.connections),
    exceptRooms: strings(target.exceptRooms),
    exceptConnections: strings(target.exceptConnections),
  }
}
