import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type RecoveringChannelModel, type RecoveryOptions, type SocketOptions } from 'amqplib'
import { GatewayError, LinkState, type BrokerLink, type BrokerState, type LinkPhase, type ConsumeOptions, type Delivery, type Logger, type RequestInfo } from '../internal.js'

/** Options of the RabbitMQ link (see `amqpTransport`). */
export interface AmqpLinkOptions {
  /** The broker URL. @default process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' */
  url?: string
  /** Prefix of every queue and exchange gangway declares. @default 'gangway' */
  prefix?: string
  /**
   * Publish requests that wait for a reply as persistent messages. Off by
   * default: such a request cannot outlive its requester's timeout, and after a
   * broker restart its reply inbox is gone, so writing it to disk only costs
   * latency (a persistent request is confirmed after the disk write); a worker
   * dying mid-message is covered by manual acks either way. @default false
   */
  persistRequests?: boolean
  /** Publish events (`emit`, frames without `id`) as persistent messages: nobody waits for them, so they must survive a broker restart. @default true */
  persistEvents?: boolean
  /** An inbox queue unused this long is deleted by the broker (a gateway node that died leaves nothing behind). @default 60000 */
  inboxExpiresMs?: number
  /**
   * Deletes a request queue after it has been unused this long (`x-expires`),
   * for short-lived patterns such as tests'. Every process using a pattern must
   * agree on it. @default none: request queues live until deleted
   */
  requestQueueExpiresMs?: number
  /** Requests published and not yet confirmed, beyond which new ones are answered `BUSY`. @default 10000 */
  maxUnconfirmed?: number
  /**
   * Bytes this process may still publish while RabbitMQ blocks the connection
   * (a memory or disk alarm): the broker reads none of them until it unblocks,
   * so they wait in this process's memory. Past it, replies and pushes are
   * dropped (counted in `stats.sendsRefused`; the requester gets `TIMEOUT`) and
   * requests answered `BUSY`, so an alarm of any length costs bounded memory.
   * @default 8388608 (8 MiB)
   */
  maxBlockedBytes?: number
  /** How long the first connection may take before requests fail `UNAVAILABLE` (reconnection goes on). @default 5000 */
  connectTimeoutMs?: number
  /** AMQP heartbeat, so a dead broker is noticed. @default 10 */
  heartbeatSeconds?: number
  /** Reconnect backoff: first delay and cap, in ms (with jitter, forever). @default { initialDelayMs: 100, maxDelayMs: 5000 } */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number }
}

/** Default of `maxBlockedBytes`. */
export const DEFAULT_MAX_BLOCKED_BYTES = 8 * 1024 * 1024

type State = LinkPhase

interface ConsumerSpec {
  readonly queue: string
  readonly deliver: (delivery: Delivery) => void
  readonly prefetch: number
}

/**
 * RabbitMQ for the bridge, on amqplib's own connection recovery: after every
 * (re)connect the channels, queues, bindings and consumers are declared again.
 *
 * - requests: a durable queue per pattern (`<prefix>.rq.<pattern>`), messages
 *   (persistent for events) published on a confirm channel with a per-message TTL (the
 *   requester's deadline), consumed with manual acks and a prefetch;
 * - inboxes: a queue per gateway node / requester, `x-expires` so a dead
 *   node's queue disappears; consumed without acks;
 * - broadcast: a fanout exchange, each node binding an exclusive queue.
 *
 * The socket runs with `noDelay` (amqplib leaves Nagle on, which caps a
 * request/reply loop at a few dozen round trips a second).
 */
export class AmqpLink implements BrokerLink {
  readonly kind = 'amqp'
  readonly guarantee = 'at-least-once' as const
  readonly batchRequests = true
  readonly #url: string
  readonly #prefix: string
  readonly #persistRequests: boolean
  readonly #persistEvents: boolean
  readonly #inboxExpiresMs: number
  readonly #requestQueueOptions: { durable: true; arguments?: Record<string, number> }
  readonly #maxUnconfirmed: number
  readonly #maxBlockedBytes: number
  readonly #connectTimeoutMs: number
  readonly #heartbeat: number
  readonly #reconnect: { initialDelayMs: number; maxDelayMs: number }
  readonly #logger: () => Logger
  readonly #inboxes = new Map<string, (body: Uint8Array) => void>()
  readonly #broadcasts = new Set<(body: Uint8Array) => void>()
  readonly #consumers: ConsumerSpec[] = []
  readonly #declared = new Set<string>()
  /** What was declared on the current connection. */
  readonly #topology = new Set<string>()
  #state: State = 'idle'
  readonly #reported = new LinkState()
  /** The one recovering connection, created on first use and kept until close (it reconnects by itself). */
  #opening: Promise<RecoveringChannelModel> | undefined
  #blocked = false
  /** Bytes published since the connection was blocked (held in this process until it unblocks). */
  #blockedBytes = 0
  #unconfirmed = 0
  #connection: RecoveringChannelModel | undefined
  #connected: Promise<void> | undefined
  #publisher: ConfirmChannel | undefined
  #main: Channel | undefined
  #consumer: Channel | undefined

  constructor(options: AmqpLinkOptions, logger: () => Logger) {
    this.#url = options.url ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
    this.#prefix = options.prefix ?? 'gangway'
    this.#persistRequests = options.persistRequests ?? false
    this.#persistEvents = options.persistEvents ?? true
    this.#inboxExpiresMs = options.inboxExpiresMs ?? 60_000
    this.#maxUnconfirmed = options.maxUnconfirmed ?? 10_000
    this.#maxBlockedBytes = options.maxBlockedBytes ?? DEFAULT_MAX_BLOCKED_BYTES
    if (!Number.isSafeInteger(this.#maxBlockedBytes) || this.#maxBlockedBytes < 0) {
      throw new GatewayError('CONFIG_INVALID', `Option "maxBlockedBytes" must be an integer >= 0, got ${String(options.maxBlockedBytes)}`)
    }
    this.#requestQueueOptions = options.requestQueueExpiresMs === undefined ? { durable: true } : { durable: true, arguments: { 'x-expires': options.requestQueueExpiresMs } }
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000
    this.#heartbeat = options.heartbeatSeconds ?? 10
    this.#reconnect = { initialDelayMs: options.reconnect?.initialDelayMs ?? 100, maxDelayMs: options.reconnect?.maxDelayMs ?? 5000 }
    this.#logger = logger
  }

  unavailable(): 'UNAVAILABLE' | 'BUSY' | undefined {
    if (this.#state === 'down' || this.#state === 'closed') return 'UNAVAILABLE'
    if (this.#blocked || this.#unconfirmed >= this.#maxUnconfirmed) return 'BUSY'
    return undefined
  }

  watchState(listener: (state: BrokerState) => void): void {
    this.#reported.watch(listener)
  }

  connect(): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(new GatewayError('UNAVAILABLE', 'The AMQP transport is closed'))
    if (this.#state === 'up') return Promise.resolve()
    this.#connected ??= this.#start()
    return this.#connected
  }

  async openInbox(id: string, receive: (body: Uint8Array) => void): Promise<void> {
    this.#inboxes.set(id, receive)
    await this.connect()
    await this.#once(`inbox:${id}`, (main) => this.#declareInbox(main, id, receive))
  }

  async closeInbox(id: string): Promise<void> {
    this.#inboxes.delete(id)
    if (this.#state !== 'up') return
    await this.#main?.deleteQueue(this.#inboxQueue(id)).catch(() => {})
  }

  async openBroadcast(receive: (body: Uint8Array) => void): Promise<void> {
    this.#broadcasts.add(receive)
    await this.connect()
    await this.#once(`broadcast:${this.#broadcasts.size}`, (main) => this.#declareBroadcast(main, receive))
  }

  async sendRequest(pattern: string, body: Buffer, info: RequestInfo): Promise<void> {
    await this.connect()
    const queue = this.#requestQueue(pattern)
    const publisher = this.#publisher
    if (!publisher || this.#state !== 'up') throw new GatewayError('UNAVAILABLE', 'The AMQP connection is down')
    if (!this.#declared.has(queue)) {
      await publisher.assertQueue(queue, this.#requestQueueOptions)
      this.#declared.add(queue)
    }
    this.#holdWhileBlocked(body)
    const ttl = info.expiresAt === undefined ? undefined : Math.max(1, info.expiresAt - Date.now())
    this.#unconfirmed++
    await new Promise<void>((resolve, reject) => {
      try {
        publisher.sendToQueue(queue, body, { persistent: ttl === undefined ? this.#persistEvents : this.#persistRequests, expiration: ttl === undefined ? undefined : String(ttl), contentType: 'application/json' }, (err) => {
          this.#unconfirmed--
          if (err) reject(new GatewayError('UNAVAILABLE', 'RabbitMQ did not confirm the request', { cause: err }))
          else resolve()
        })
      } catch (err) {
        this.#unconfirmed--
        reject(new GatewayError('UNAVAILABLE', 'The AMQP channel is closed', { cause: err }))
      }
    })
  }

  async sendToInbox(id: string, body: Buffer): Promise<void> {
    const main = this.#main
    if (!main || this.#state !== 'up') throw new GatewayError('UNAVAILABLE', 'The AMQP connection is down')
    this.#holdWhileBlocked(body)
    main.sendToQueue(this.#inboxQueue(id), body, { contentType: 'application/json' })
  }

  async broadcast(body: Buffer): Promise<void> {
    const main = this.#main
    if (!main || this.#state !== 'up') throw new GatewayError('UNAVAILABLE', 'The AMQP connection is down')
    this.#holdWhileBlocked(body)
    main.publish(this.#broadcastExchange(), '', body, { contentType: 'application/json' })
  }

  async consume(pattern: string, deliver: (delivery: Delivery) => void, options: ConsumeOptions): Promise<void> {
    const spec: ConsumerSpec = { queue: this.#requestQueue(pattern), deliver, prefetch: options.prefetch }
    this.#consumers.push(spec)
    const index = this.#consumers.length
    await this.connect()
    await this.#once(`consumer:${index}`, () => this.#declareConsumer(this.#consumer!, spec))
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return
    const wasUp = this.#state === 'up'
    this.#setState('closed')
    // Stops recovery at once. Closing a connection whose socket is already gone can wait
    // forever for the broker's close-ok: wait only for a live one, and not for long.
    const closing = this.#connection?.close().catch(() => {})
    // Still being created: close it once it exists, or its recovery would go on forever.
    if (this.#connection === undefined) void this.#opening?.then((connection) => connection.close()).catch(() => {})
    if (!wasUp || closing === undefined) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([closing, new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))])
    clearTimeout(timer)
  }

  #setBlocked(blocked: boolean): void {
    if (this.#blocked === blocked) return // a second alarm while blocked does not grant a second allowance
    this.#blocked = blocked
    this.#blockedBytes = 0
  }

  /**
   * While blocked, amqplib still takes every publish and queues it in memory (the broker reads
   * nothing): let through up to `maxBlockedBytes`, so a short alarm loses nothing, then refuse.
   */
  #holdWhileBlocked(body: Buffer): void {
    if (!this.#blocked) return
    if (this.#blockedBytes + body.byteLength > this.#maxBlockedBytes) {
      if (this.#blockedBytes <= this.#maxBlockedBytes) {
        this.#logger().warn({ link: 'amqp', heldBytes: this.#blockedBytes }, 'RabbitMQ still blocks publishing; dropping replies and pushes until it unblocks')
        this.#blockedBytes = this.#maxBlockedBytes + 1 // logged once per block
      }
      throw new GatewayError('BUSY', `RabbitMQ blocks this connection (resource alarm) and ${this.#maxBlockedBytes} bytes already wait for it`)
    }
    this.#blockedBytes += body.byteLength
  }

  #setState(state: State): void {
    if (this.#state === 'closed') return
    this.#state = state
    this.#reported.setPhase(state)
  }

  async #start(): Promise<void> {
    if (this.#state === 'idle') this.#setState('connecting')
    // One connection for good: if the first wait times out it keeps recovering in the background, and
    // a later connect() waits for that same connection instead of opening another one each time.
    this.#opening ??= this.#open()
    let connection: RecoveringChannelModel
    try {
      connection = await this.#opening
    } catch (err) {
      this.#opening = undefined
      this.#connected = undefined
      if (this.#state === 'connecting') this.#setState('down')
      throw err instanceof GatewayError ? err : new GatewayError('UNAVAILABLE', 'Cannot connect to RabbitMQ', { cause: err })
    }
    if (this.#state === 'up') return
    let timer: NodeJS.Timeout | undefined
    let onFailed: ((err: Error) => void) | undefined
    try {
      await Promise.race([
        connection.waitForConnect(),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new GatewayError('UNAVAILABLE', `RabbitMQ did not answer within ${this.#connectTimeoutMs} ms`)), this.#connectTimeoutMs)
          // A refused attempt fails this wait at once (requests answer UNAVAILABLE instead of waiting out
          // the timeout); recovery goes on trying in the background.
          onFailed = (err) => reject(new GatewayError('UNAVAILABLE', 'Cannot connect to RabbitMQ', { cause: err }))
          connection.once('connect-failed', onFailed)
        }),
      ])
    } catch (err) {
      // Recovery keeps trying in the background; meanwhile requests are refused at once.
      if (this.#state === 'connecting') this.#setState('down')
      this.#connected = undefined
      throw err instanceof GatewayError ? err : new GatewayError('UNAVAILABLE', 'Cannot connect to RabbitMQ', { cause: err })
    } finally {
      clearTimeout(timer)
      if (onFailed) connection.off('connect-failed', onFailed)
    }
    if (this.#state !== 'closed') this.#setState('up')
  }

  async #open(): Promise<RecoveringChannelModel> {
    const socketOptions: SocketOptions & { recovery: RecoveryOptions } = {
      noDelay: true,
      recovery: {
        initialDelay: this.#reconnect.initialDelayMs,
        maxDelay: this.#reconnect.maxDelayMs,
        jitter: 0.3,
        maxRetries: Infinity,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.#setup(model),
      },
    }
    const url = new URL(this.#url)
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(this.#heartbeat))
    const connection = await amqp.connect(url.toString(), socketOptions)
    this.#connection = connection
    connection.on('connect', () => {
      if (this.#state === 'closed') return
      this.#setState('up')
      this.#logger().info({ link: 'amqp' }, 'connected to RabbitMQ')
    })
    connection.on('disconnect', (err: Error) => {
      if (this.#state === 'closed') return
      this.#setState('down')
      this.#setBlocked(false)
      this.#publisher = this.#main = this.#consumer = undefined
      this.#declared.clear()
      this.#logger().warn({ link: 'amqp', err }, 'lost the RabbitMQ connection; reconnecting')
    })
    connection.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) => {
      if (attempt === 1 || attempt % 10 === 0) this.#logger().info({ link: 'amqp', attempt, delay }, 'reconnecting to RabbitMQ')
    })
    connection.on('blocked', (reason: string) => {
      this.#setBlocked(true)
      this.#logger().warn({ link: 'amqp', reason }, 'RabbitMQ blocked publishing (resource alarm); answering BUSY')
    })
    connection.on('unblocked', () => {
      this.#setBlocked(false)
      this.#logger().info({ link: 'amqp' }, 'RabbitMQ unblocked publishing')
    })
    connection.on('error', (err: Error) => this.#logger().warn({ link: 'amqp', err }, 'RabbitMQ connection error'))
    connection.on('handler-error', (err: Error) => this.#logger().error({ link: 'amqp', err }, 'error in an AMQP event handler'))
    return connection
  }

  /** Runs after every successful (re)connect, before the connection is used. */
  async #setup(model: ChannelModel): Promise<void> {
    const publisher = await model.createConfirmChannel()
    const main = await model.createChannel()
    const consumer = await model.createChannel()
    for (const channel of [publisher, main, consumer]) {
      channel.on('error', (err: Error) => this.#logger().warn({ link: 'amqp', err }, 'AMQP channel error'))
      // A channel closed by the broker (not by a connection loss) would leave us half-working: start over.
      channel.on('close', () => {
        if (this.#state === 'up' && (this.#publisher === channel || this.#main === channel || this.#consumer === channel)) {
          this.#logger().warn({ link: 'amqp' }, 'an AMQP channel closed; reconnecting')
          model.close().catch(() => {})
        }
      })
    }
    this.#declared.clear()
    this.#topology.clear()
    this.#publisher = publisher
    this.#main = main
    this.#consumer = consumer
    for (const [id, receive] of this.#inboxes) await this.#once(`inbox:${id}`, () => this.#declareInbox(main, id, receive))
    let n = 0
    for (const receive of this.#broadcasts) await this.#once(`broadcast:${++n}`, () => this.#declareBroadcast(main, receive))
    n = 0
    for (const spec of this.#consumers) await this.#once(`consumer:${++n}`, () => this.#declareConsumer(consumer, spec))
    if (this.#state !== 'closed') this.#setState('up')
  }

  /** Declares a piece of topology once per connection (setup and a concurrent open may both ask). */
  async #once(key: string, declare: (main: Channel) => Promise<void>): Promise<void> {
    if (this.#topology.has(key) || this.#main === undefined) return
    this.#topology.add(key)
    await declare(this.#main)
  }

  async #declareInbox(channel: Channel, id: string, receive: (body: Uint8Array) => void): Promise<void> {
    const queue = this.#inboxQueue(id)
    await channel.assertQueue(queue, { durable: false, autoDelete: false, arguments: { 'x-expires': this.#inboxExpiresMs } })
    await channel.consume(queue, (message) => message && receive(message.content), { noAck: true })
  }

  async #declareBroadcast(channel: Channel, receive: (body: Uint8Array) => void): Promise<void> {
    const exchange = this.#broadcastExchange()
    await channel.assertExchange(exchange, 'fanout', { durable: true })
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true })
    await channel.bindQueue(queue, exchange, '')
    await channel.consume(queue, (message) => message && receive(message.content), { noAck: true })
  }

  async #declareConsumer(channel: Channel, spec: ConsumerSpec): Promise<void> {
    await channel.assertQueue(spec.queue, this.#requestQueueOptions)
    // Per-consumer prefetch: applies to the consumer started next on this channel.
    await channel.prefetch(spec.prefetch, false)
    await channel.consume(
      spec.queue,
      (message: ConsumeMessage | null) => {
        if (message === null) return // cancelled by the broker (queue deleted); re-declared on reconnect
        let acked = false
        spec.deliver({
          body: message.content,
          redelivered: message.fields.redelivered,
          done: () => {
            // After a reconnect the old channel is gone and the broker has requeued the message already.
            if (acked || this.#consumer !== channel) return
            acked = true
            try {
              channel.ack(message)
            } catch {
              // The channel closed meanwhile; the broker requeues the message.
            }
          },
        })
      },
      { noAck: false },
    )
  }

  #requestQueue(pattern: string): string {
    return `${this.#prefix}.rq.${pattern}`
  }

  #inboxQueue(id: string): string {
    return `${this.#prefix}.inbox.${id}`
  }

  #broadcastExchange(): string {
    return `${this.#prefix}.nodes`
  }
}
