import { connect } from '@nats-io/transport-node'
import type { BusState, ClusterBus, ClusterBusEvents } from '../index.js'

/** A message as the bus reads it. */
export interface NatsMessageLike {
  readonly subject: string
  readonly data: Uint8Array
}

/** A subscription, as the bus uses it. */
export interface NatsSubscriptionLike {
  unsubscribe(): void
}

/** The part of a `NatsConnection` (`@nats-io/transport-node`) the cluster bus uses. */
export interface NatsConnectionLike {
  publish(subject: string, payload?: Uint8Array): void
  subscribe(subject: string, options?: { callback?: (err: Error | null, msg: NatsMessageLike) => void }): NatsSubscriptionLike
  flush(): Promise<void>
  status(): AsyncIterable<{ readonly type: string }>
  isClosed(): boolean
  reconnect(): Promise<void>
  drain(): Promise<void>
  close(): Promise<void>
}

/** Options of the NATS bus. */
export interface NatsBusOptions {
  /** Client-level ping interval of connections gangway opens (nats.js's own liveness check). @default 10000 */
  pingIntervalMs?: number
  /** Pause between reconnect attempts (plus up to half of it as jitter; attempts never stop). @default 500 */
  reconnectTimeWaitMs?: number
}

export const DEFAULT_NATS_PING_INTERVAL_MS = 10_000
export const DEFAULT_NATS_RECONNECT_TIME_WAIT_MS = 500

/**
 * A `ClusterBus` on core NATS. gangway opens its own connection from a URL
 * (never giving up on reconnects: nats.js stops after 10 attempts by default,
 * and with `noEcho`, so a node does not receive its own broadcasts back), or
 * uses a connection you pass in (left open on close; only gangway's
 * subscriptions are removed). nats.js restores subscriptions after a reconnect.
 */
export class NatsBus implements ClusterBus {
  readonly name = 'nats'
  readonly #given: NatsConnectionLike | undefined
  readonly #url: string | undefined
  readonly #options: Required<NatsBusOptions>
  readonly #subscriptions = new Map<string, NatsSubscriptionLike>()
  #nc: NatsConnectionLike | undefined
  #events: ClusterBusEvents | undefined
  #state: BusState = 'connecting'
  #closed = false
  #connectedWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = []

  constructor(connection: string | NatsConnectionLike, options: NatsBusOptions = {}) {
    if (typeof connection === 'string') this.#url = connection
    else this.#given = connection
    this.#options = {
      pingIntervalMs: options.pingIntervalMs ?? DEFAULT_NATS_PING_INTERVAL_MS,
      reconnectTimeWaitMs: options.reconnectTimeWaitMs ?? DEFAULT_NATS_RECONNECT_TIME_WAIT_MS,
    }
  }

  get state(): BusState {
    return this.#state
  }

  async start(events: ClusterBusEvents): Promise<void> {
    this.#events = events
    const nc = this.#given ?? (await this.#connect())
    if (this.#closed) {
      if (!this.#given) await nc.close()
      return
    }
    this.#nc = nc
    void this.#watch(nc)
    for (const subject of this.#subscriptions.keys()) this.#subscriptions.set(subject, this.#open(nc, subject))
    await nc.flush().catch(() => {})
    if (!nc.isClosed()) this.#setState('connected')
  }

  publish(channel: string, payload: Uint8Array): boolean {
    const nc = this.#nc
    if (this.#state !== 'connected' || nc === undefined) return false
    try {
      nc.publish(channel, payload)
      return true
    } catch {
      return false // closed or draining
    }
  }

  async subscribe(channel: string): Promise<void> {
    if (this.#closed) throw new Error('The NATS bus is closed')
    const nc = this.#nc
    if (!this.#subscriptions.has(channel)) {
      // Before start() connected, the subject is remembered and subscribed there.
      this.#subscriptions.set(channel, nc ? this.#open(nc, channel) : { unsubscribe() {} })
    }
    if (nc === undefined || this.#state !== 'connected') return this.#whenConnected()
    // The server answers a flush after it processed the SUB sent before it.
    await nc.flush()
  }

  async unsubscribe(channel: string): Promise<void> {
    const subscription = this.#subscriptions.get(channel)
    if (subscription === undefined) return
    this.#subscriptions.delete(channel)
    try {
      subscription.unsubscribe()
    } catch {
      // already closed
    }
  }

  async ping(): Promise<void> {
    if (this.#nc === undefined) throw new Error('The NATS bus is not connected')
    await this.#nc.flush()
  }

  reconnect(): void {
    this.#nc?.reconnect().catch(() => {})
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const waiter of this.#connectedWaiters.splice(0)) waiter.reject(new Error('The NATS bus is closed'))
    const nc = this.#nc
    if (nc && this.#given) {
      for (const subscription of this.#subscriptions.values()) subscription.unsubscribe()
    } else if (nc && !nc.isClosed()) {
      // drain() lets queued publishes out first; a server that does not answer gets a second.
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))
      await Promise.race([nc.drain().catch(() => {}), timeout])
      clearTimeout(timer)
      if (!nc.isClosed()) await nc.close().catch(() => {})
    }
    this.#subscriptions.clear()
    this.#setState('closed')
  }

  #connect(): Promise<NatsConnectionLike> {
    return connect({
      servers: this.#url,
      name: 'gangway-cluster',
      maxReconnectAttempts: -1,
      waitOnFirstConnect: true,
      reconnectTimeWait: this.#options.reconnectTimeWaitMs,
      reconnectJitter: Math.round(this.#options.reconnectTimeWaitMs / 2),
      pingInterval: this.#options.pingIntervalMs,
      maxPingOut: 2,
      noEcho: true,
    }) as Promise<NatsConnectionLike>
  }

  #open(nc: NatsConnectionLike, subject: string): NatsSubscriptionLike {
    return nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err === null) this.#events?.message(msg.subject, msg.data)
      },
    })
  }

  async #watch(nc: NatsConnectionLike): Promise<void> {
    try {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect' || status.type === 'staleConnection') this.#setState('reconnecting')
        else if (status.type === 'reconnect') this.#setState('connected')
        else if (status.type === 'close') break
      }
    } catch {
      // the iterator ends with the connection
    }
    if (!this.#closed && nc.isClosed()) this.#setState('closed')
  }

  #whenConnected(): Promise<void> {
    return new Promise((resolve, reject) => this.#connectedWaiters.push({ resolve, reject }))
  }

  #setState(state: BusState): void {
    if (state === this.#state || (this.#state === 'closed' && state !== 'closed')) return
    this.#state = state
    if (state === 'connected') for (const waiter of this.#connectedWaiters.splice(0)) waiter.resolve()
    const events = this.#events
    queueMicrotask(() => events?.state(state))
  }
}
