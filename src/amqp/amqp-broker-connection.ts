import amqp, { type Channel, type ChannelModel, type RecoveringChannelModel, type RecoveryOptions, type SocketOptions } from 'amqplib'
import { BrokerStateTracker, GatewayError, invalidOption, settleWithin, silentLogger, type Logger } from '../internal.js'
import type { AmqpChannelSource, AmqpConnectionLike } from './amqp-connection-like.js'
import type { ResolvedAmqpConnectionOptions } from './amqp-options.js'

/** Declares a role's topology on fresh channels; runs after every (re)connect, before the connection counts as connected. */
export type AmqpSetup = (channels: AmqpChannelSource) => Promise<void>

/** How long closing may wait for the broker's close-ok (a connection whose socket is gone would wait forever). */
const CLOSE_WAIT_MS = 1000

/**
 * One broker connection to RabbitMQ, for a bridge link (and any other role
 * on RabbitMQ): it opens, recovers and closes the connection, tracks its
 * state and the broker's flow control (`blocked`), and runs each role's
 * setup — channels, queues, consumers — after every (re)connect.
 *
 * - From a URL it opens a recovering connection (amqplib's recovery:
 *   backoff with jitter, forever) with a heartbeat and `noDelay` (amqplib
 *   leaves Nagle on, which caps a request/reply loop at a few dozen round
 *   trips a second), and closes it at the end.
 * - A connection you pass in is never closed: gangway creates its own
 *   channels on it, sets up again when a recovering one emits `connect`, and
 *   closes only those channels. One that does not recover ends `disconnected`.
 */
export class AmqpBrokerConnection {
  readonly state = new BrokerStateTracker()
  readonly #target: string | AmqpConnectionLike
  readonly #options: ResolvedAmqpConnectionOptions
  readonly #logger: () => Logger
  readonly #setups: AmqpSetup[] = []
  #opening: Promise<void> | undefined
  /** The recovering connection opened from the URL. */
  #own: RecoveringChannelModel | undefined
  /** The model of the current (re)connect: restarting a connection gangway opened closes it, and recovery takes over. */
  #model: ChannelModel | undefined
  /** Setups run one after another; each generation's channels are closed once the next is set up. */
  #setupChain: Promise<void> = Promise.resolve()
  #channels: Channel[] = []
  #generation = 0
  #settingUp = false
  #restarting = false
  #waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = []
  #failedAttempts = 0
  #blocked = false
  /** Bytes published since the connection was blocked (held in this process until it unblocks). */
  #blockedBytes = 0
  #closed = false

  /** @param connection an `amqp://` / `amqps://` URL, or a connection of your own (never closed by gangway) */
  constructor(connection: string | AmqpConnectionLike, options: ResolvedAmqpConnectionOptions, logger: () => Logger = () => silentLogger) {
    if (!(typeof connection === 'string' && connection.length > 0) && typeof (connection as Partial<AmqpConnectionLike> | null)?.createChannel !== 'function') {
      invalidOption('connection', 'must be an AMQP URL or an amqplib connection')
    }
    this.#target = connection
    this.#options = options
    this.#logger = logger
  }

  /** Adds a role's setup; call before the first `open()`. */
  addSetup(setup: AmqpSetup): void {
    this.#setups.push(setup)
  }

  /** Whether RabbitMQ blocks publishing on this connection (a resource alarm). */
  get blocked(): boolean {
    return this.#blocked
  }

  /**
   * True while requests should be refused at once: closed, lost, or not
   * reached after an attempt failed. False while connected and while the
   * first attempt is still under way (requests wait for it).
   */
  get down(): boolean {
    if (this.#closed) return true
    return this.state.current !== 'connected' && (this.state.everConnected || this.#failedAttempts > 0)
  }

  /**
   * Connects (once; the connection then stays for good) and resolves once it
   * was first connected and set up. Rejects with `UNAVAILABLE` after
   * `connectTimeoutMs` or when an attempt is refused; recovery goes on in the
   * background, and a later call waits again.
   */
  open(): Promise<void> {
    if (this.#closed) return Promise.reject(new GatewayError('UNAVAILABLE', 'The AMQP transport is closed'))
    if (this.state.everConnected) return Promise.resolve()
    if (this.state.current === undefined) this.state.set('connecting')
    this.#opening ??= this.#begin()
    return this.#opening
      .then(() => this.#firstConnected())
      .catch((err: unknown) => {
        this.#failedAttempts++
        throw err instanceof GatewayError ? err : new GatewayError('UNAVAILABLE', 'Cannot connect to RabbitMQ', { cause: err })
      })
  }

  /**
   * Lets `bytes` through while RabbitMQ blocks the connection, up to
   * `maxBlockedBytes` per block (amqplib queues them in memory meanwhile), so
   * a short alarm loses nothing; past that, throws `BUSY`.
   */
  admit(bytes: number): void {
    if (!this.#blocked) return
    const max = this.#options.maxBlockedBytes
    if (this.#blockedBytes + bytes > max) {
      if (this.#blockedBytes <= max) {
        this.#logger().warn({ broker: 'amqp', heldBytes: this.#blockedBytes }, 'RabbitMQ still blocks publishing; refusing publishes until it unblocks')
        this.#blockedBytes = max + 1 // logged once per block
      }
      throw new GatewayError('BUSY', `RabbitMQ blocks this connection (resource alarm) and ${max} bytes already wait for it`)
    }
    this.#blockedBytes += bytes
  }

  /**
   * A channel died while the connection lives (the broker closed it): start
   * over. A connection gangway opened is dropped and recovered; on yours,
   * every role is set up again on fresh channels.
   */
  restart(): void {
    if (this.#closed || this.#settingUp || this.#restarting) return
    this.#restarting = true
    // Channels also close when their connection drops, just before it reports the loss: only a
    // channel that closed alone (the connection still connected a moment later) calls for a restart.
    setImmediate(() => {
      this.#restarting = false
      if (this.#closed || this.state.current !== 'connected') return
      if (typeof this.#target === 'string') this.#model?.close().catch(() => {})
      else this.#resetUp(this.#target)
    })
  }

  /** Closes what gangway opened: the connection from a URL (waiting a second at most), or its own channels on yours. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    const wasUp = this.state.current === 'connected'
    this.#closed = true
    this.state.set('closed')
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new GatewayError('UNAVAILABLE', 'The AMQP transport is closed'))
    if (typeof this.#target !== 'string') {
      await settleWithin(closeAll(this.#channels.splice(0)), CLOSE_WAIT_MS)
      return
    }
    // Stops recovery at once. Still being created: close it once it exists, or its recovery would go on forever.
    const closing = this.#opening?.then(() => this.#own?.close())
    // Closing a connection whose socket is already gone can wait forever for the close-ok: wait only for a live one.
    if (wasUp && closing !== undefined) await settleWithin(closing, CLOSE_WAIT_MS)
    else closing?.catch(() => {})
  }

  /** Opens the recovering connection from the URL, or starts using yours. */
  async #begin(): Promise<void> {
    if (typeof this.#target === 'string') {
      this.#own = await this.#openOwn(this.#target)
      this.#listen(this.#own)
    } else {
      this.#listen(this.#target)
      void this.#adopt(this.#target)
    }
  }

  async #openOwn(url: string): Promise<RecoveringChannelModel> {
    const socketOptions: SocketOptions & { recovery: RecoveryOptions } = {
      noDelay: true,
      recovery: {
        initialDelay: this.#options.reconnect.initialDelayMs,
        maxDelay: this.#options.reconnect.maxDelayMs,
        jitter: 0.3,
        maxRetries: Infinity,
        waitForConnect: false,
        // amqplib runs this after every (re)connect, before the connection is used.
        setup: (model: ChannelModel) => {
          this.#model = model
          return this.#queueSetup(model)
        },
      },
    }
    const withHeartbeat = new URL(url)
    if (!withHeartbeat.searchParams.has('heartbeat')) withHeartbeat.searchParams.set('heartbeat', String(this.#options.heartbeatSeconds))
    const connection = await amqp.connect(withHeartbeat.toString(), socketOptions)
    connection.on('connect', () => this.#connected())
    connection.on('connect-failed', (err: Error) => this.#failed(err))
    connection.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) => {
      if (attempt === 1 || attempt % 10 === 0) this.#logger().info({ broker: 'amqp', attempt, delay }, 'reconnecting to RabbitMQ')
    })
    connection.on('handler-error', (err: Error) => this.#logger().error({ broker: 'amqp', err }, 'error in an AMQP event handler'))
    return connection
  }

  /** Events every kind of connection shares: losses, flow control, errors. */
  #listen(connection: AmqpConnectionLike): void {
    connection.on('disconnect', (err: Error) => {
      if (this.#closed) return
      this.#setBlocked(false)
      this.state.retrying(err)
      this.#logger().warn({ broker: 'amqp', err }, 'lost the RabbitMQ connection; reconnecting')
    })
    connection.on('reconnect-failed', (err: Error) => this.#gone(err))
    connection.on('blocked', (reason: string) => {
      this.#setBlocked(true)
      this.#logger().warn({ broker: 'amqp', reason }, 'RabbitMQ blocked publishing (resource alarm); answering BUSY')
    })
    connection.on('unblocked', () => {
      this.#setBlocked(false)
      this.#logger().info({ broker: 'amqp' }, 'RabbitMQ unblocked publishing')
    })
    connection.on('error', (err: Error) => this.#logger().warn({ broker: 'amqp', err }, 'RabbitMQ connection error'))
  }

  /** Your connection: set up now (once it was first connected), and again after each recovery. */
  async #adopt(connection: AmqpConnectionLike): Promise<void> {
    if (connection.waitForConnect === undefined) {
      // Not recovering: once closed, it stays closed.
      connection.on('close', (err?: Error) => {
        this.#setBlocked(false)
        this.#gone(err)
      })
      this.#resetUp(connection)
      return
    }
    connection.on('connect', (model: AmqpChannelSource) => this.#resetUp(model))
    const generation = this.#generation
    await connection.waitForConnect().catch(() => {})
    // A `connect` event during the wait set up already.
    if (generation === this.#generation) this.#resetUp(connection)
  }

  /** Sets every role up on `source`, then counts as connected. */
  #resetUp(source: AmqpChannelSource): void {
    this.#generation++
    this.#queueSetup(source).then(
      () => this.#connected(),
      (err: unknown) => this.#logger().error({ broker: 'amqp', err }, 'setting up on the RabbitMQ connection failed; waiting for the next connect'),
    )
  }

  /** Runs the roles' setups on fresh channels, after any setup still running; the previous channels are closed after. */
  #queueSetup(source: AmqpChannelSource): Promise<void> {
    const run = async () => {
      if (this.#closed) return
      const previous = this.#channels
      const fresh: Channel[] = []
      this.#channels = fresh
      const tracked: AmqpChannelSource = {
        createChannel: async () => remember(fresh, await source.createChannel()),
        createConfirmChannel: async () => remember(fresh, await source.createConfirmChannel()),
      }
      this.#settingUp = true
      try {
        for (const setup of this.#setups) await setup(tracked)
      } finally {
        this.#settingUp = false
      }
      // Only now: a role ignores closes of channels it no longer uses.
      void closeAll(previous)
    }
    const done = this.#setupChain.then(run)
    this.#setupChain = done.catch(() => {})
    return done
  }

  #connected(): void {
    if (this.#closed) return
    this.state.set('connected')
    this.#logger().info({ broker: 'amqp' }, 'connected to RabbitMQ')
    for (const waiter of this.#waiters.splice(0)) waiter.resolve()
  }

  #failed(err: Error | undefined): void {
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new GatewayError('UNAVAILABLE', 'Cannot connect to RabbitMQ', { cause: err }))
  }

  /** Not coming back: a connection that does not recover closed, or recovery gave up. */
  #gone(err: Error | undefined): void {
    if (this.#closed) return
    this.state.set('disconnected', err)
    this.#failed(err)
    this.#logger().error({ broker: 'amqp', err }, 'the RabbitMQ connection closed for good')
  }

  /** Waits until first connected: `connectTimeoutMs` at most, and no longer than a refused attempt. */
  #firstConnected(): Promise<void> {
    if (this.state.current === 'connected') return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        reject(new GatewayError('UNAVAILABLE', `RabbitMQ did not answer within ${this.#options.connectTimeoutMs} ms`))
      }, this.#options.connectTimeoutMs)
      const waiter = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (err: Error) => (clearTimeout(timer), reject(err)),
      }
      this.#waiters.push(waiter)
    })
  }

  #setBlocked(blocked: boolean): void {
    if (this.#blocked === blocked) return // a second alarm while blocked does not grant a second allowance
    this.#blocked = blocked
    this.#blockedBytes = 0
  }
}

function remember<C extends Channel>(channels: Channel[], channel: C): C {
  channels.push(channel)
  return channel
}

async function closeAll(channels: readonly Channel[]): Promise<void> {
  await Promise.all(channels.map((channel) => Promise.resolve().then(() => channel.close()).catch(() => {})))
}
