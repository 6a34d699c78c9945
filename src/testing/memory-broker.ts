import { GatewayError, type BrokerState, type ClusterBus, type ClusterBusEvents } from '../index.js'

/**
 * A pub/sub broker in memory, so several gateway apps in one process (tests,
 * examples) form a cluster without Redis or NATS. Delivery is asynchronous and
 * keeps the global publish order, like one broker server. `stop()`/`start()`
 * simulate an outage and `freeze()`/`thaw()` a broker that stops answering
 * while its connections stay open (what the health ping is for).
 *
 * @example
 * const broker = new MemoryBroker()
 * const a = createGateway({ gateways, adapter: clusterAdapter(broker.createBus()) })
 * const b = createGateway({ gateways, adapter: clusterAdapter(broker.createBus()) })
 */
export class MemoryBroker {
  /** Messages handed to subscribers, per channel. */
  readonly delivered = new Map<string, number>()
  readonly #buses = new Set<MemoryBus>()
  readonly #queue: Array<() => void> = []
  #running = true
  #frozen = false
  #flushing = false

  get running(): boolean {
    return this.#running
  }

  get frozen(): boolean {
    return this.#frozen
  }

  createBus(): ClusterBus {
    return new MemoryBus(this)
  }

  /** The broker goes away: every bus loses its connection and starts reconnecting. */
  stop(): void {
    this.#running = false
    this.#queue.length = 0
    for (const bus of this.#buses) bus.lost()
  }

  /** The broker is back: buses reconnect and restore their subscriptions. */
  start(): void {
    this.#running = true
    for (const bus of this.#buses) bus.restore()
  }

  /** Connections stay open but nothing is answered or delivered (a frozen server, a half-open TCP link). */
  freeze(): void {
    this.#frozen = true
  }

  /** Ends a freeze: what was held back is delivered. */
  thaw(): void {
    this.#frozen = false
    for (const bus of this.#buses) bus.restore()
    this.#schedule()
  }

  /** @internal */
  register(bus: MemoryBus): void {
    this.#buses.add(bus)
  }

  /** @internal */
  unregister(bus: MemoryBus): void {
    this.#buses.delete(bus)
  }

  /** @internal */
  publish(channel: string, payload: Uint8Array): void {
    const copy = Uint8Array.from(payload)
    const receivers = [...this.#buses].filter((bus) => bus.isSubscribed(channel))
    this.#enqueue(() => {
      for (const bus of receivers) {
        if (bus.deliver(channel, copy)) this.delivered.set(channel, (this.delivered.get(channel) ?? 0) + 1)
      }
    })
  }

  /** @internal Runs `task` in broker order, after the current tick (held back while frozen). */
  enqueue(task: () => void): void {
    this.#enqueue(task)
  }

  #enqueue(task: () => void): void {
    this.#queue.push(task)
    this.#schedule()
  }

  #schedule(): void {
    if (this.#flushing || this.#frozen || this.#queue.length === 0) return
    this.#flushing = true
    setImmediate(() => {
      this.#flushing = false
      const tasks = this.#queue.splice(0)
      for (const task of tasks) {
        if (this.#frozen) {
          this.#queue.unshift(...tasks.slice(tasks.indexOf(task)))
          return
        }
        task()
      }
      this.#schedule()
    })
  }
}

/** One connection to a `MemoryBroker`. */
class MemoryBus implements ClusterBus {
  readonly name = 'memory'
  readonly #broker: MemoryBroker
  readonly #channels = new Set<string>()
  #waiters: Array<() => void> = []
  #events: ClusterBusEvents | undefined
  #state: BrokerState = 'connecting'

  constructor(broker: MemoryBroker) {
    this.#broker = broker
  }

  get state(): BrokerState {
    return this.#state
  }

  start(events: ClusterBusEvents): Promise<void> {
    this.#events = events
    this.#broker.register(this)
    this.restore()
    return new Promise((resolve) => this.#whenConnected(resolve))
  }

  publish(channel: string, payload: Uint8Array): boolean {
    if (this.#state !== 'connected' || !this.#broker.running) return false
    this.#broker.publish(channel, payload)
    return true
  }

  subscribe(channel: string): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(new GatewayError('CLOSED', 'The memory bus is closed'))
    this.#channels.add(channel)
    return new Promise((resolve) => this.#whenConnected(() => this.#broker.enqueue(resolve)))
  }

  async unsubscribe(channel: string): Promise<void> {
    this.#channels.delete(channel)
  }

  ping(): Promise<void> {
    if (this.#state !== 'connected') return Promise.reject(new GatewayError('UNAVAILABLE', 'The memory bus is not connected'))
    return new Promise((resolve) => this.#broker.enqueue(resolve))
  }

  reconnect(): void {
    if (this.#state === 'closed') return
    this.lost()
    this.restore()
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return
    this.#broker.unregister(this)
    this.#channels.clear()
    this.#setState('closed')
  }

  /** @internal */
  isSubscribed(channel: string): boolean {
    return this.#state === 'connected' && this.#channels.has(channel)
  }

  /** @internal */
  deliver(channel: string, payload: Uint8Array): boolean {
    if (this.#state !== 'connected' || !this.#channels.has(channel)) return false
    this.#events?.message(channel, payload)
    return true
  }

  /** @internal The broker went away. */
  lost(): void {
    if (this.#state === 'connected') this.#setState('reconnecting')
  }

  /** @internal Reconnects when the broker runs and answers; subscriptions survive. */
  restore(): void {
    if (this.#state === 'closed' || this.#state === 'connected') return
    if (!this.#broker.running || this.#broker.frozen) return
    this.#setState('connected')
    for (const waiter of this.#waiters.splice(0)) waiter()
  }

  #whenConnected(callback: () => void): void {
    if (this.#state === 'connected') callback()
    else this.#waiters.push(callback)
  }

  #setState(state: BrokerState): void {
    this.#state = state
    const events = this.#events
    queueMicrotask(() => events?.state(state))
  }
}
