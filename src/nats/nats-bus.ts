import { GatewayError, type BrokerState, type ClusterBus, type ClusterBusEvents } from '../internal.js'
import { NatsBrokerConnection } from './nats-broker-connection.js'
import type { NatsConnectionLike, NatsSubscriptionLike } from './nats-connection-like.js'
import { resolveNatsBusOptions, type NatsBusOptions } from './nats-options.js'

/**
 * A `ClusterBus` on core NATS: the cluster's role on a NATS broker
 * connection. The connection gangway opens from a URL never gives up on
 * reconnects and runs with `noEcho`, so a node does not receive its own
 * broadcasts back; a connection you pass in is left open on close (only the
 * bus's subscriptions are removed). nats.js restores subscriptions after a
 * reconnect.
 */
export class NatsBus implements ClusterBus {
  readonly name = 'nats'
  readonly #connection: NatsBrokerConnection
  readonly #subscriptions = new Map<string, NatsSubscriptionLike>()
  #nc: NatsConnectionLike | undefined
  #events: ClusterBusEvents | undefined
  /** The state last reported to the events. */
  #reported: BrokerState = 'connecting'
  #closed = false
  #connectedWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = []

  /** @param connection a `nats://` URL, several (an array), or a `NatsConnection` of your own (never closed by the bus) */
  constructor(connection: string | readonly string[] | NatsConnectionLike, options: NatsBusOptions = {}) {
    this.#connection = new NatsBrokerConnection(connection, resolveNatsBusOptions(options), { name: 'cluster', echo: false, setup: (nc) => this.#setup(nc) })
    this.#connection.state.watch((state) => this.#stateChanged(state))
  }

  get state(): BrokerState {
    return this.#connection.state.current ?? 'connecting'
  }

  async start(events: ClusterBusEvents): Promise<void> {
    this.#events = events
    await this.#connection.whenConnected().catch((err: unknown) => {
      if (!this.#closed) throw err
    })
  }

  publish(channel: string, payload: Uint8Array): boolean {
    const nc = this.#nc
    if (this.state !== 'connected' || nc === undefined) return false
    try {
      nc.publish(channel, payload)
      return true
    } catch {
      return false // closed or draining
    }
  }

  async subscribe(channel: string): Promise<void> {
    if (this.#closed) throw closedError()
    const nc = this.#nc
    if (!this.#subscriptions.has(channel)) {
      // Before the connection is open, the subject is remembered and subscribed in setup.
      this.#subscriptions.set(channel, nc ? this.#open(nc, channel) : { unsubscribe() {} })
    }
    if (nc === undefined || this.state !== 'connected') return this.#whenConnected()
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
    if (this.#nc === undefined) throw new GatewayError('UNAVAILABLE', 'The NATS bus is not connected')
    await this.#nc.flush()
  }

  reconnect(): void {
    this.#connection.reconnect()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const waiter of this.#connectedWaiters.splice(0)) waiter.reject(closedError())
    // A connection gangway opened is drained (which removes its subscriptions); yours keeps running without ours.
    if (this.#connection.given) for (const channel of [...this.#subscriptions.keys()]) await this.unsubscribe(channel)
    await this.#connection.close()
    this.#subscriptions.clear()
  }

  /** Runs once the connection is open: the subjects asked for before are subscribed, and confirmed, before it counts as connected. */
  async #setup(nc: NatsConnectionLike): Promise<void> {
    this.#nc = nc
    for (const subject of this.#subscriptions.keys()) this.#subscriptions.set(subject, this.#open(nc, subject))
    await nc.flush().catch(() => {})
  }

  #open(nc: NatsConnectionLike, subject: string): NatsSubscriptionLike {
    return nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err === null) this.#events?.message(msg.subject, msg.data)
      },
    })
  }

  #whenConnected(): Promise<void> {
    return new Promise((resolve, reject) => this.#connectedWaiters.push({ resolve, reject }))
  }

  #stateChanged(state: BrokerState): void {
    if (state === 'connected') for (const waiter of this.#connectedWaiters.splice(0)) waiter.resolve()
    if (state === this.#reported) return
    this.#reported = state
    const events = this.#events
    queueMicrotask(() => events?.state(state))
  }
}

function closedError(): GatewayError {
  return new GatewayError('CLOSED', 'The NATS bus is closed')
}
