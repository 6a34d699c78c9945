import { GatewayError, type BrokerState, type ClusterBus, type ClusterBusEvents } from '../internal.js'
import { RedisBrokerConnection, type RedisClientRole } from './redis-broker-connection.js'
import type { RedisClientLike, RedisConnectionLike } from './redis-client-like.js'
import { resolveRedisBusOptions, type RedisBusOptions } from './redis-options.js'

/** SUBSCRIBE at most this many channels per command when restoring them after a reconnect. */
const RESUBSCRIBE_BATCH = 500

/** Both clients fail fast while disconnected and never re-send a publish (pub/sub is at most once); so do the history store's commands. */
export const PUBLISHER: RedisClientRole = Object.freeze({
  name: 'pub',
  required: true,
  offlineQueue: false,
  retriesPerRequest: 0,
  resendUnanswered: false,
  resubscribe: false,
  quitOnClose: true,
})

interface Waiter {
  resolve(): void
  reject(err: Error): void
}

/**
 * A `ClusterBus` on Redis pub/sub through ioredis: the cluster's role on a
 * Redis broker connection. One client publishes (the publishes of one tick in
 * one pipeline), one subscribes. Publishes fail fast while disconnected (no
 * offline queue, so memory stays bounded during an outage), unanswered
 * commands are never re-sent after a reconnect (no duplicate publishes), and
 * every channel is subscribed again, by the bus, before the connection counts
 * as connected again.
 */
export class RedisBus implements ClusterBus {
  readonly name = 'redis'
  readonly #connection: RedisBrokerConnection
  readonly #pub: RedisConnectionLike
  readonly #sub: RedisConnectionLike
  /** Channels this bus should be subscribed to. */
  readonly #channels = new Set<string>()
  /** Channels confirmed on the current subscriber connection. */
  readonly #live = new Set<string>()
  #restored: Waiter[] = []
  #connected: Waiter[] = []
  #events: ClusterBusEvents | undefined
  /** The state last reported to the events. */
  #reported: BrokerState = 'connecting'
  /** Publishes waiting for the end of the tick: channel, message, channel, message… */
  #batch: Array<string | Buffer> = []
  #subReady = false
  #closed = false

  /** @param connection a `redis://` / `rediss://` URL, or an ioredis client to duplicate (never closed by the bus) */
  constructor(connection: string | RedisClientLike, options: RedisBusOptions = {}) {
    this.#connection = new RedisBrokerConnection(connection, resolveRedisBusOptions(options), 'cluster')
    this.#pub = this.#connection.open(PUBLISHER)
    this.#sub = this.#connection.open({ ...PUBLISHER, name: 'sub', setup: () => this.#resubscribe() })
    this.#sub.on('close', () => {
      this.#subReady = false
      this.#live.clear()
    })
    this.#sub.on('messageBuffer', (channel, message) => this.#events?.message(channel.toString(), message))
    this.#connection.state.watch((state, error) => this.#stateChanged(state, error))
  }

  get state(): BrokerState {
    return this.#connection.state.current ?? 'connecting'
  }

  async start(events: ClusterBusEvents): Promise<void> {
    this.#events = events
    const connected = new Promise<void>((resolve, reject) => this.#connected.push({ resolve, reject }))
    this.#connection.connect(this.#pub)
    this.#connection.connect(this.#sub)
    await connected
  }

  publish(channel: string, payload: Uint8Array): boolean {
    if (this.state !== 'connected') return false
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
    if (this.#closed) return Promise.reject(closedError())
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

  ping(): Promise<void> {
    return this.#connection.ping()
  }

  reconnect(): void {
    this.#connection.reconnect()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const waiter of [...this.#restored.splice(0), ...this.#connected.splice(0)]) waiter.reject(closedError())
    // QUIT lets publishes already queued go out first.
    await this.#connection.close()
  }

  /** The subscriber's setup after each (re)connect: subscribes every channel, then lets waiting subscribes go. */
  async #resubscribe(): Promise<void> {
    const done = new Set<string>()
    // Channels added while a batch is in flight are picked up by the next round.
    for (;;) {
      const batch: string[] = []
      for (const channel of this.#channels) {
        if (!done.has(channel)) batch.push(channel)
        if (batch.length === RESUBSCRIBE_BATCH) break
      }
      if (batch.length === 0) break
      await this.#sub.subscribe(...batch) // a dropped connection rejects: the next 'ready' retries
      for (const channel of batch) done.add(channel)
    }
    if (this.#closed) throw closedError()
    if (this.#sub.status !== 'ready') throw new GatewayError('UNAVAILABLE', 'The Redis connection dropped while its channels were being restored')
    this.#live.clear()
    for (const channel of done) if (this.#channels.has(channel)) this.#live.add(channel)
    this.#subReady = true
    for (const waiter of this.#restored.splice(0)) waiter.resolve()
  }

  #nextRestore(): Promise<void> {
    return new Promise((resolve, reject) => this.#restored.push({ resolve, reject }))
  }

  #stateChanged(state: BrokerState, error: Error | undefined): void {
    if (state === 'connected') for (const waiter of this.#connected.splice(0)) waiter.resolve()
    if (state === this.#reported) return
    this.#reported = state
    const events = this.#events
    queueMicrotask(() => events?.state(state, state === 'reconnecting' ? error : undefined))
  }
}

function closedError(): GatewayError {
  return new GatewayError('CLOSED', 'The Redis bus is closed')
}
