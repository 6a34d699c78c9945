import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib'
import { GatewayError, type BrokerLink, type BrokerState, type ConsumeOptions, type Delivery, type Logger, type RequestInfo } from '../internal.js'
import { AmqpBrokerConnection } from './amqp-broker-connection.js'
import type { AmqpChannelSource, AmqpConnectionLike } from './amqp-connection-like.js'
import { resolveAmqpLinkOptions, type AmqpLinkOptions, type ResolvedAmqpLinkOptions } from './amqp-options.js'
import { sendConfirmed } from './send-confirmed.js'

interface ConsumerSpec {
  readonly queue: string
  readonly deliver: (delivery: Delivery) => void
  readonly prefetch: number
}

/**
 * RabbitMQ for the bridge: the bridge's role on a RabbitMQ broker connection.
 * After every (re)connect its channels, queues, bindings and consumers are
 * declared again (the connection runs this setup before it counts as
 * connected).
 *
 * - requests: a durable queue per pattern (`<prefix>.rq.<pattern>`), messages
 *   (persistent for events) published on a confirm channel with a per-message TTL (the
 *   requester's deadline), consumed with manual acks and a prefetch;
 * - inboxes: a queue per gateway node / requester, `x-expires` so a dead
 *   node's queue disappears; consumed without acks;
 * - broadcast: a fanout exchange, each node binding an exclusive queue;
 * - the services' broadcast (cancellations): another fanout exchange, each
 *   service binding an exclusive queue.
 */
export class AmqpLink implements BrokerLink {
  readonly kind = 'amqp'
  readonly guarantee = 'at-least-once' as const
  readonly batchRequests = true
  readonly #options: ResolvedAmqpLinkOptions
  readonly #connection: AmqpBrokerConnection
  readonly #requestQueueOptions: { durable: true; arguments?: Record<string, number> }
  readonly #logger: () => Logger
  readonly #inboxes = new Map<string, (body: Uint8Array) => void>()
  /** Broadcast subscriptions: a gateway node's (pushes) or a service's (cancellations), by fanout exchange. */
  readonly #broadcasts: Array<{ readonly exchange: string; readonly receive: (body: Uint8Array) => void }> = []
  readonly #consumers: ConsumerSpec[] = []
  /**
   * Queues and exchanges declared on the current connection, by name. Senders share one
   * declaration and wait for it in call order, so a later message never overtakes an earlier one.
   */
  readonly #declared = new Map<string, Promise<unknown>>()
  /** What was declared on the current connection. */
  readonly #topology = new Set<string>()
  #unconfirmed = 0
  #publisher: ConfirmChannel | undefined
  #main: Channel | undefined
  #consumer: Channel | undefined

  /** @param connection an `amqp://` / `amqps://` URL, or an amqplib connection of your own (never closed by the link) */
  constructor(connection: string | AmqpConnectionLike, options: AmqpLinkOptions, logger: () => Logger) {
    this.#options = resolveAmqpLinkOptions(options)
    const expires = this.#options.requestQueueExpiresMs
    this.#requestQueueOptions = expires === undefined ? { durable: true } : { durable: true, arguments: { 'x-expires': expires } }
    this.#logger = logger
    this.#connection = new AmqpBrokerConnection(connection, this.#options, logger)
    this.#connection.addSetup((channels) => this.#setup(channels))
    this.#connection.state.watch((state) => {
      // The channels died with the connection; the next setup opens new ones.
      if (state === 'reconnecting' || state === 'disconnected') {
        this.#publisher = this.#main = this.#consumer = undefined
        this.#declared.clear()
      }
    })
  }

  /** The broker connection the link is built on (the NestJS wire shares it). */
  get connection(): AmqpBrokerConnection {
    return this.#connection
  }

  unavailable(): 'UNAVAILABLE' | 'BUSY' | undefined {
    if (this.#connection.down) return 'UNAVAILABLE'
    if (this.#connection.blocked || this.#unconfirmed >= this.#options.maxUnconfirmed) return 'BUSY'
    return undefined
  }

  watchState(listener: (state: BrokerState) => void): void {
    this.#connection.state.watch(listener)
  }

  connect(): Promise<void> {
    return this.#connection.open()
  }

  get #up(): boolean {
    return this.#connection.state.current === 'connected'
  }

  async openInbox(id: string, receive: (body: Uint8Array) => void): Promise<void> {
    this.#inboxes.set(id, receive)
    await this.connect()
    await this.#once(`inbox:${id}`, (main) => this.#declareInbox(main, id, receive))
  }

  async closeInbox(id: string): Promise<void> {
    this.#inboxes.delete(id)
    if (!this.#up) return
    await this.#main?.deleteQueue(this.#inboxQueue(id)).catch(() => {})
  }

  openBroadcast(receive: (body: Uint8Array) => void): Promise<void> {
    return this.#openFanout(this.#broadcastExchange(), receive)
  }

  openServiceBroadcast(receive: (body: Uint8Array) => void): Promise<void> {
    return this.#openFanout(this.#servicesExchange(), receive)
  }

  async #openFanout(exchange: string, receive: (body: Uint8Array) => void): Promise<void> {
    // Opening again after a failed attempt must not subscribe twice: every message would arrive twice.
    let n = this.#broadcasts.findIndex((each) => each.exchange === exchange && each.receive === receive) + 1
    if (n === 0) n = this.#broadcasts.push({ exchange, receive })
    const spec = this.#broadcasts[n - 1]!
    await this.connect()
    await this.#once(`broadcast:${n}`, (main) => this.#declareBroadcast(main, spec))
  }

  async sendRequest(pattern: string, body: Buffer, info: RequestInfo): Promise<void> {
    await this.connect()
    const queue = this.#requestQueue(pattern)
    const publisher = this.#publisher
    if (!publisher || !this.#up) throw new GatewayError('UNAVAILABLE', 'The AMQP connection is down')
    await this.#declare(queue, () => publisher.assertQueue(queue, this.#requestQueueOptions))
    this.#connection.admit(body.byteLength)
    const ttl = info.expiresAt === undefined ? undefined : Math.max(1, info.expiresAt - Date.now())
    const persistent = ttl === undefined ? this.#options.persistEvents : this.#options.persistRequests
    this.#unconfirmed++
    try {
      await sendConfirmed(publisher, queue, body, { persistent, expiration: ttl === undefined ? undefined : String(ttl), contentType: 'application/json' })
    } finally {
      this.#unconfirmed--
    }
  }

  async sendToInbox(id: string, body: Buffer): Promise<void> {
    if (this.#main === undefined) await this.#firstConnection()
    const main = this.#main
    if (!main || !this.#up) throw new GatewayError('UNAVAILABLE', 'The AMQP connection is down')
    this.#connection.admit(body.byteLength)
    main.sendToQueue(this.#inboxQueue(id), body, { contentType: 'application/json' })
  }

  async broadcast(body: Buffer): Promise<void> {
    if (this.#main === undefined) await this.#firstConnection()
    const main = this.#main
    if (!main || !this.#up) throw new GatewayError('UNAVAILABLE', 'The AMQP connection is down')
    this.#connection.admit(body.byteLength)
    main.publish(this.#broadcastExchange(), '', body, { contentType: 'application/json' })
  }

  async broadcastToServices(body: Buffer): Promise<void> {
    if (this.#main === undefined) await this.#firstConnection()
    const main = this.#main
    if (!main || !this.#up) throw new GatewayError('UNAVAILABLE', 'The AMQP connection is down')
    const exchange = this.#servicesExchange()
    // Publishing to an exchange nobody declared yet would close the channel.
    await this.#declare(exchange, () => main.assertExchange(exchange, 'fanout', { durable: true }))
    this.#connection.admit(body.byteLength)
    main.publish(exchange, '', body, { contentType: 'application/json' })
  }

  async consume(pattern: string, deliver: (delivery: Delivery) => void, options: ConsumeOptions): Promise<void> {
    const spec: ConsumerSpec = { queue: this.#requestQueue(pattern), deliver, prefetch: options.prefetch }
    this.#consumers.push(spec)
    const index = this.#consumers.length
    await this.connect()
    await this.#once(`consumer:${index}`, () => this.#declareConsumer(this.#consumer!, spec))
  }

  close(): Promise<void> {
    return this.#connection.close()
  }

  /** The connection's setup after every (re)connect, before it is used: channels, then every queue, binding and consumer. */
  async #setup(channels: AmqpChannelSource): Promise<void> {
    const publisher = await channels.createConfirmChannel()
    const main = await channels.createChannel()
    const consumer = await channels.createChannel()
    for (const channel of [publisher, main, consumer]) {
      channel.on('error', (err: Error) => this.#logger().warn({ link: 'amqp', err }, 'AMQP channel error'))
      // A channel closed by the broker (not by a connection loss) would leave us half-working: start over.
      channel.on('close', () => {
        if (this.#up && (this.#publisher === channel || this.#main === channel || this.#consumer === channel)) {
          this.#logger().warn({ link: 'amqp' }, 'an AMQP channel closed; reconnecting')
          this.#connection.restart()
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
    for (const spec of this.#broadcasts) await this.#once(`broadcast:${++n}`, () => this.#declareBroadcast(main, spec))
    n = 0
    for (const spec of this.#consumers) await this.#once(`consumer:${++n}`, () => this.#declareConsumer(consumer, spec))
  }

  /**
   * A process that only pushes (a cron job's `service.server()`) connects on its first send.
   * Once connected there is nothing to wait for: a reply is handed to the channel in the same
   * turn, before the acknowledgement that follows it.
   */
  async #firstConnection(): Promise<void> {
    if (!this.#connection.state.everConnected) await this.connect().catch(() => {})
  }

  /** Declares what a publish needs once per connection; a failed declaration is tried again by the next publish. */
  #declare(name: string, declare: () => Promise<unknown>): Promise<unknown> {
    let declared = this.#declared.get(name)
    if (declared === undefined) {
      declared = declare()
      this.#declared.set(name, declared)
      declared.catch(() => {
        if (this.#declared.get(name) === declared) this.#declared.delete(name)
      })
    }
    return declared
  }

  /** Declares a piece of topology once per connection (setup and a concurrent open may both ask). */
  async #once(key: string, declare: (main: Channel) => Promise<void>): Promise<void> {
    if (this.#topology.has(key) || this.#main === undefined) return
    this.#topology.add(key)
    await declare(this.#main)
  }

  async #declareInbox(channel: Channel, id: string, receive: (body: Uint8Array) => void): Promise<void> {
    const queue = this.#inboxQueue(id)
    await channel.assertQueue(queue, { durable: false, autoDelete: false, arguments: { 'x-expires': this.#options.inboxExpiresMs } })
    await channel.consume(queue, (message) => message && receive(message.content), { noAck: true })
  }

  async #declareBroadcast(channel: Channel, { exchange, receive }: { exchange: string; receive: (body: Uint8Array) => void }): Promise<void> {
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
    return `${this.#options.prefix}.rq.${pattern}`
  }

  #inboxQueue(id: string): string {
    return `${this.#options.prefix}.inbox.${id}`
  }

  #broadcastExchange(): string {
    return `${this.#options.prefix}.nodes`
  }

  #servicesExchange(): string {
    return `${this.#options.prefix}.services`
  }
}
