import { connect, type ConnectionOptions, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node'
import { GatewayError, LinkState, type BrokerLink, type BrokerState, type LinkPhase, type ConsumeOptions, type Delivery, type Logger, type RequestInfo } from '../internal.js'
// Loaded only with `jetstream`, so core-NATS users need not install @nats-io/jetstream.
import type { JetStreamOptions, NatsJetStreamQueues } from './nats-jetstream-queues.js'

/** Options of the NATS link (see `natsTransport`). */
export interface NatsLinkOptions {
  /** Server URL(s). @default process.env.NATS_URL ?? 'nats://127.0.0.1:4222' */
  servers?: string | string[]
  /** A connection you already have (gangway never closes it). @default a connection of its own */
  connection?: NatsConnection
  /** Extra options for the connection gangway opens. @default {} */
  connectOptions?: Partial<ConnectionOptions>
  /** Prefix of every subject. @default 'gangway' */
  prefix?: string
  /**
   * Carry requests on JetStream (a work-queue stream, durable pull consumers,
   * explicit acks, de-duplication by request id): at-least-once, survives a
   * worker dying mid-message. `false` uses core NATS queue groups: at-most-once,
   * the fastest. Requesters and services must agree. @default false
   */
  jetstream?: boolean | JetStreamOptions
  /** How long the first connection may take before requests fail `UNAVAILABLE`. @default 5000 */
  connectTimeoutMs?: number
}

type State = LinkPhase

/**
 * NATS for the bridge. Requests are published with a reply subject under
 * the requester's single wildcard inbox subscription (`<prefix>.inbox.<id>.>`)
 * — no subscription and no error object per request — so a service missing
 * altogether is answered at once by the server's "no responders" status.
 * Core NATS by default (queue groups, at-most-once); JetStream when asked.
 * Reconnects forever (`maxReconnectAttempts: -1`); subscriptions are renewed
 * by the client itself. If the server cannot be reached at the first connect,
 * the link keeps trying in the background (requests answer `UNAVAILABLE`
 * meanwhile), so a process started before its NATS server needs no restart.
 */
export class NatsLink implements BrokerLink {
  readonly kind = 'nats'
  readonly guarantee: 'at-least-once' | 'at-most-once'
  readonly batchRequests = true
  readonly #options: NatsLinkOptions
  readonly #prefix: string
  readonly #logger: () => Logger
  readonly #subscriptions = new Map<string, Subscription>()
  readonly #jetstream: JetStreamOptions | undefined
  #queues: NatsJetStreamQueues | undefined
  #connection: NatsConnection | undefined
  #connected: Promise<void> | undefined
  #state: State = 'idle'
  readonly #reported = new LinkState()
  #failedAttempts = 0
  #retry: NodeJS.Timeout | undefined
  /** Reply tokens of recent request batches → their correlation ids, to fail them all on "no responders". */
  readonly #batches = new Map<string, readonly string[]>()
  #nextBatch = 0

  constructor(options: NatsLinkOptions, logger: () => Logger) {
    this.#options = options
    this.#prefix = options.prefix ?? 'gangway'
    this.#logger = logger
    this.#jetstream = options.jetstream === true ? {} : options.jetstream || undefined
    this.guarantee = this.#jetstream ? 'at-least-once' : 'at-most-once'
  }

  unavailable(): 'UNAVAILABLE' | undefined {
    return this.#state === 'down' || this.#state === 'closed' ? 'UNAVAILABLE' : undefined
  }

  watchState(listener: (state: BrokerState) => void): void {
    this.#reported.watch(listener)
  }

  connect(): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(new GatewayError('UNAVAILABLE', 'The NATS transport is closed'))
    this.#connected ??= this.#start().catch((err: unknown) => {
      this.#connected = undefined
      if (this.#state === 'connecting') this.#setState('down')
      this.#retryLater()
      throw err instanceof GatewayError ? err : new GatewayError('UNAVAILABLE', 'Cannot connect to NATS', { cause: err })
    })
    return this.#connected
  }

  /** The first connection failed: try again with backoff (the client's own reconnect only starts once connected). */
  #retryLater(): void {
    if (this.#state === 'closed' || this.#retry !== undefined || this.#options.connection) return
    const delay = Math.min(5000, 250 * 2 ** Math.min(this.#failedAttempts++, 5)) * (0.75 + Math.random() * 0.5)
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      if (this.#state !== 'closed') this.connect().catch(() => {}) // a failure schedules the next try
    }, delay)
    this.#retry.unref()
  }

  #setState(state: State): void {
    if (this.#state === 'closed') return
    this.#state = state
    if (state === 'up') this.#failedAttempts = 0
    this.#reported.setPhase(state)
  }

  async openInbox(id: string, receive: (body: Uint8Array) => void): Promise<void> {
    const nc = await this.#nc()
    const prefix = `${this.#prefix}.inbox.${id}.`
    this.#subscribe(`inbox:${id}`, nc, `${prefix}>`, undefined, (msg) => {
      if (msg.data.byteLength === 0 && msg.headers?.code === 503) {
        // "No responders": nobody subscribes to the pattern. The last token names the request or its batch.
        const token = msg.subject.slice(prefix.length)
        const correlations = token.startsWith('_b') ? (this.#batches.get(token) ?? []) : [token]
        this.#batches.delete(token)
        receive(Buffer.from(JSON.stringify(correlations.map((c) => ({ t: 'e', c, e: { code: 'UNAVAILABLE', message: 'The service is unavailable' } })))))
        return
      }
      receive(msg.data)
    })
    await nc.flush()
  }

  async closeInbox(id: string): Promise<void> {
    this.#subscriptions.get(`inbox:${id}`)?.unsubscribe()
    this.#subscriptions.delete(`inbox:${id}`)
  }

  async openBroadcast(receive: (body: Uint8Array) => void): Promise<void> {
    const nc = await this.#nc()
    this.#subscribe(`broadcast:${this.#subscriptions.size}`, nc, `${this.#prefix}.nodes`, undefined, (msg) => receive(msg.data))
    await nc.flush()
  }

  async sendRequest(pattern: string, body: Buffer, info: RequestInfo): Promise<void> {
    const nc = await this.#nc()
    if (this.#queues) return this.#queues.publish(pattern, body, info)
    let reply: string | undefined
    if (info.replyInbox !== undefined) {
      // One reply subject per broker message, under the inbox's wildcard subscription: correlation ids
      // never contain "_", so a batch's token cannot collide with one.
      let token = info.correlationIds[0]!
      if (info.correlationIds.length > 1) {
        token = `_b${(this.#nextBatch++).toString(36)}`
        this.#batches.set(token, info.correlationIds)
        // "No responders" comes back within a round trip; older entries are of no more use.
        if (this.#batches.size > 4096) this.#batches.delete(this.#batches.keys().next().value!)
      }
      reply = `${this.#prefix}.inbox.${info.replyInbox}.${token}`
    }
    try {
      nc.publish(`${this.#prefix}.rq.${pattern}`, body, reply === undefined ? undefined : { reply })
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', 'NATS did not take the request', { cause: err })
    }
  }

  async sendToInbox(id: string, body: Buffer): Promise<void> {
    const nc = await this.#nc()
    nc.publish(`${this.#prefix}.inbox.${id}._`, body)
  }

  async broadcast(body: Buffer): Promise<void> {
    const nc = await this.#nc()
    nc.publish(`${this.#prefix}.nodes`, body)
  }

  async consume(pattern: string, deliver: (delivery: Delivery) => void, options: ConsumeOptions): Promise<void> {
    const nc = await this.#nc()
    if (this.#queues) return this.#queues.consume(pattern, deliver, options)
    // Core NATS has no acknowledgement: a message is gone once delivered.
    this.#subscribe(`consume:${pattern}`, nc, `${this.#prefix}.rq.${pattern}`, options.group, (msg) => deliver({ body: msg.data, redelivered: false, done: noop }))
    await nc.flush()
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return
    this.#setState('closed')
    clearTimeout(this.#retry)
    await this.#queues?.close()
    const nc = this.#connection
    if (nc === undefined) return
    if (this.#options.connection) {
      for (const sub of this.#subscriptions.values()) sub.unsubscribe()
    } else {
      await nc.drain().catch(() => nc.close())
    }
  }

  async #nc(): Promise<NatsConnection> {
    await this.connect()
    if (this.#connection === undefined || this.#state === 'closed') throw new GatewayError('UNAVAILABLE', 'The NATS transport is closed')
    return this.#connection
  }

  async #start(): Promise<void> {
    this.#setState('connecting')
    const nc =
      this.#options.connection ??
      (await connect({
        servers: this.#options.servers ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
        maxReconnectAttempts: -1, // the client's default gives up after 10 attempts
        reconnectTimeWait: 500,
        reconnectJitter: 250,
        noAsyncTraces: true, // async stack traces cost an Error per request
        timeout: this.#options.connectTimeoutMs ?? 5000,
        name: 'gangway',
        ...this.#options.connectOptions,
      }))
    if (this.#state === 'closed') {
      if (!this.#options.connection) await nc.close().catch(() => {})
      throw new GatewayError('UNAVAILABLE', 'The NATS transport is closed')
    }
    this.#connection = nc
    if (this.#jetstream) {
      const { NatsJetStreamQueues } = await import('./nats-jetstream-queues.js')
      this.#queues = new NatsJetStreamQueues(nc, this.#prefix, this.#jetstream, this.#logger)
      try {
        await this.#queues.ready()
      } catch (err) {
        // Retried from scratch: do not leave this connection open behind the next one.
        this.#queues = undefined
        this.#connection = undefined
        if (!this.#options.connection) await nc.close().catch(() => {})
        throw err
      }
    }
    this.#setState('up')
    void this.#watch(nc)
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (this.#state === 'closed') return
      if (status.type === 'disconnect') {
        this.#setState('down')
        this.#logger().warn({ link: 'nats' }, 'lost the NATS connection; reconnecting')
      } else if (status.type === 'reconnect') {
        this.#setState('up')
        this.#logger().info({ link: 'nats' }, 'reconnected to NATS')
      }
    }
    if (this.#state !== 'closed' && !this.#options.connection) {
      // The client closed for good (it does not give up on its own: an auth error, say).
      this.#setState('down')
      this.#reported.set('disconnected')
    }
  }

  #subscribe(key: string, nc: NatsConnection, subject: string, queue: string | undefined, onMessage: (msg: Msg) => void): void {
    if (this.#subscriptions.has(key)) return
    const sub = nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) return this.#logger().warn({ link: 'nats', subject, err }, 'subscription error')
        try {
          onMessage(msg)
        } catch (error) {
          this.#logger().error({ link: 'nats', subject, err: error }, 'a NATS message handler threw')
        }
      },
    })
    this.#subscriptions.set(key, sub)
  }
}

function noop(): void {}
