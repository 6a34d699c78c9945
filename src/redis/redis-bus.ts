import { Redis } from 'ioredis'
import type { BusState, ClusterBus, ClusterBusEvents } from '../index.js'

/**
 * The part of an ioredis client the cluster bus uses. gangway never uses the
 * client you pass directly: it `duplicate()`s it into a publisher and a
 * subscriber connection with the settings the cluster needs (your client's
 * host, TLS, auth and db are kept), and closes only those.
 */
export interface RedisClientLike {
  duplicate(override?: RedisConnectionSettings): RedisConnectionLike
}

/** The settings gangway applies to the connections it opens. */
export interface RedisConnectionSettings {
  lazyConnect: boolean
  enableOfflineQueue: boolean
  autoResubscribe: boolean
  autoResendUnfulfilledCommands: boolean
  maxRetriesPerRequest: number | null
  enableAutoPipelining: boolean
  connectionName: string
  retryStrategy: (times: number) => number | null
}

/** One ioredis connection, as the bus uses it. */
export interface RedisConnectionLike {
  readonly status: string
  connect(): Promise<void>
  publish(channel: string, message: Buffer): Promise<number>
  pipeline(): RedisPipelineLike
  subscribe(...channels: string[]): Promise<unknown>
  unsubscribe(...channels: string[]): Promise<unknown>
  ping(): Promise<unknown>
  quit(): Promise<unknown>
  disconnect(reconnect?: boolean): void
  on(event: 'messageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown
  on(event: 'ready' | 'close', listener: () => void): unknown
  on(event: 'error', listener: (err: Error) => void): unknown
}

/** An ioredis pipeline: commands written together, in one write. */
export interface RedisPipelineLike {
  publish(channel: string, message: Buffer): unknown
  exec(): Promise<unknown>
}

/** Options of the Redis bus. */
export interface RedisBusOptions {
  /** The longest pause between reconnect attempts (with jitter; attempts never stop). @default 2000 */
  maxReconnectDelayMs?: number
}

export const DEFAULT_MAX_RECONNECT_DELAY_MS = 2000

/** SUBSCRIBE at most this many channels per command when restoring them after a reconnect. */
const RESUBSCRIBE_BATCH = 500

/**
 * A `ClusterBus` on Redis pub/sub through ioredis: one connection publishes
 * (the publishes of one tick in one pipeline), one subscribes. Publishes fail fast while disconnected
 * (no offline queue, so memory stays bounded during an outage), unanswered
 * commands are never re-sent after a reconnect (no duplicate publishes), and
 * every channel is subscribed again once the connection is back.
 */
export class RedisBus implements ClusterBus {
  readonly name = 'redis'
  readonly #pub: RedisConnectionLike
  readonly #sub: RedisConnectionLike
  /** Channels this bus should be subscribed to. */
  readonly #channels = new Set<string>()
  /** Channels confirmed on the current subscriber connection. */
  readonly #live = new Set<string>()
  #restored: Array<{ resolve: () => void; reject: (err: Error) => void }> = []
  #connected: Array<{ resolve: () => void; reject: (err: Error) => void }> = []
  #events: ClusterBusEvents | undefined
  #state: BusState = 'connecting'
  /** Publishes waiting for the end of the tick: channel, message, channel, message… */
  #batch: Array<string | Buffer> = []
  #pubReady = false
  #subReady = false
  #everConnected = false
  #closed = false
  #lastError: Error | undefined

  constructor(connection: string | RedisClientLike, options: RedisBusOptions = {}) {
    const maxDelay = options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS
    const settings = (role: string): RedisConnectionSettings => ({
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      enableAutoPipelining: false,
      connectionName: `gangway-cluster-${role}`,
      // Exponential backoff with jitter, capped; never null, so ioredis never gives up.
      retryStrategy: (times) => Math.round(Math.min(maxDelay, 50 * 2 ** Math.min(times, 10)) * (0.5 + Math.random() / 2)),
    })
    const open = (role: string): RedisConnectionLike =>
      typeof connection === 'string' ? (new Redis(connection, settings(role)) as unknown as RedisConnectionLike) : connection.duplicate(settings(role))
    this.#pub = open('pub')
    this.#sub = open('sub')
    for (const client of [this.#pub, this.#sub]) {
      client.on('error', (err) => {
        this.#lastError = err
      })
    }
    this.#pub.on('ready', () => {
      this.#pubReady = true
      this.#update()
    })
    this.#pub.on('close', () => {
      this.#pubReady = false
      this.#update()
    })
    this.#sub.on('ready', () => void this.#resubscribe())
    this.#sub.on('close', () => {
      this.#subReady = false
      this.#live.clear()
      this.#update()
    })
    this.#sub.on('messageBuffer', (channel, message) => this.#events?.message(channel.toString(), message))
  }

  get state(): BusState {
    return this.#state
  }

  async start(events: ClusterBusEvents): Promise<void> {
    this.#events = events
    const connected = new Promise<void>((resolve, reject) => this.#connected.push({ resolve, reject }))
    // With lazyConnect, connect() starts the first attempt; a refused one is retried by ioredis itself.
    for (const client of [this.#pub, this.#sub]) client.connect().catch(() => {})
    await connected
  }

  publish(channel: string, payload: Uint8Array): boolean {
    if (this.#state !== 'connected') return false
    const message = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
    // Publishes of one tick go out together in one write at the end of the tick (ioredis's own
    // auto-pipelining waits for setImmediate, a whole event-loop turn later).
    if (this.#batch.length === 0) queueMicrotask(this.#flush)
    this.#batch.push(channel, message)
    return true
  }

  readonly #flush = (): void => {
    const batch = this.#batch
    this.#batch = []
    // A publish in flight when the connection drops fails here; pub/sub is at-most-once.
    if (batch.length === 2) {
      this.#pub.publish(batch[0] as string, batch[1] as Buffer).catch(() => {})
      return
    }
    const pipeline = this.#pub.pipeline()
    for (let i = 0; i < batch.length; i += 2) pipeline.publish(batch[i] as string, batch[i + 1] as Buffer)
    pipeline.exec().catch(() => {})
  }

  subscribe(channel: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('The Redis bus is closed'))
    this.#channels.add(channel)
    if (this.#live.has(channel)) return Promise.resolve()
    if (!this.#subReady) return this.#nextRestore()
    return this.#sub.subscribe(channel).then(
      () => {
        if (this.#channels.has(channel)) this.#live.add(channel)
      },
      // The connection dropped before the answer: the channel is subscribed again on reconnect.
      () => this.#nextRestore(),
    )
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.#channels.delete(channel)) return
    this.#live.delete(channel)
    // While disconnected there is nothing to undo: the channel is simply not restored.
    if (this.#subReady) await this.#sub.unsubscribe(channel).catch(() => {})
  }

  async ping(): Promise<void> {
    await Promise.all([this.#pub.ping(), this.#sub.ping()])
  }

  reconnect(): void {
    if (this.#closed) return
    this.#pub.disconnect(true)
    this.#sub.disconnect(true)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const waiter of [...this.#restored.splice(0), ...this.#connected.splice(0)]) waiter.reject(new Error('The Redis bus is closed'))
    // QUIT lets publishes already queued go out first; a dead server gets a second, then the socket is cut.
    await Promise.all(
      [this.#pub, this.#sub].map(async (client) => {
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))
        await Promise.race([client.quit().catch(() => {}), timeout])
        clearTimeout(timer)
        client.disconnect(false)
      }),
    )
    this.#update()
  }

  /** Subscribes every channel on a fresh subscriber connection, then reports connected. */
  async #resubscribe(): Promise<void> {
    const done = new Set<string>()
    try {
      // Channels added while a batch is in flight are picked up by the next round.
      for (;;) {
        const batch: string[] = []
        for (const channel of this.#channels) {
          if (!done.has(channel)) batch.push(channel)
          if (batch.length === RESUBSCRIBE_BATCH) break
        }
        if (batch.length === 0) break
        await this.#sub.subscribe(...batch)
        for (const channel of batch) done.add(channel)
      }
    } catch {
      return // the connection dropped again; the next 'ready' retries
    }
    if (this.#closed || this.#sub.status !== 'ready') return
    this.#live.clear()
    for (const channel of done) if (this.#channels.has(channel)) this.#live.add(channel)
    this.#subReady = true
    this.#update()
    for (const waiter of this.#restored.splice(0)) waiter.resolve()
  }

  #nextRestore(): Promise<void> {
    return new Promise((resolve, reject) => this.#restored.push({ resolve, reject }))
  }

  #update(): void {
    const state: BusState = this.#closed ? 'closed' : this.#pubReady && this.#subReady ? 'connected' : this.#everConnected ? 'reconnecting' : 'connecting'
    if (state === this.#state) return
    if (state === 'connected') {
      this.#everConnected = true
      for (const waiter of this.#connected.splice(0)) waiter.resolve()
    }
    this.#state = state
    const error = state === 'reconnecting' ? this.#lastError : undefined
    const events = this.#events
    queueMicrotask(() => events?.state(state, error))
  }
}
