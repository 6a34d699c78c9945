import { connect } from '@nats-io/transport-node'
import { BrokerStateTracker, GatewayError, invalidOption, reconnectDelay, settleWithin, silentLogger, type Logger, type ReconnectBackoff } from '../internal.js'
import type { NatsConnectionLike } from './nats-connection-like.js'
import type { ResolvedNatsConnectionOptions } from './nats-options.js'

/** What a role on the connection (the cluster's bus, the bridge's link) asks of it. */
export interface NatsConnectionRole {
  /** The client name on the server: `gangway-<name>`. */
  readonly name: string
  /** Whether the server delivers this connection's own publishes back to its subscriptions (a cluster node ignores its own). */
  readonly echo: boolean
  /**
   * Runs once the connection is open, before it is reported connected. A
   * failure fails the attempt: a connection gangway opened is closed and
   * opened again later. (nats.js renews subscriptions after a reconnect itself.)
   */
  readonly setup?: (nc: NatsConnectionLike) => Promise<void>
}

/** Retries of a first connection that failed (nats.js reconnects by itself only once connected): 180–300 ms at first, up to 3.6–6 s. */
const FIRST_CONNECT_BACKOFF: ReconnectBackoff = Object.freeze({ initialDelayMs: 300, maxDelayMs: 6000, jitter: 0.4 })

/** How long draining a connection may take at close before it is closed outright. */
const CLOSE_WAIT_MS = 1000

/**
 * One broker connection to NATS, for a cluster bus or a bridge link. From a
 * URL (or several) it opens its own connection — reconnecting forever
 * (nats.js gives up after 10 attempts by default), with client pings, and
 * retrying a first connection that failed with backoff — and drains and
 * closes it at the end. A connection you pass in is used as it is and never
 * closed: your own settings decide how it reconnects. Either way it tracks
 * the state and logs losses.
 */
export class NatsBrokerConnection {
  readonly state = new BrokerStateTracker()
  readonly #given: NatsConnectionLike | undefined
  readonly #servers: string | string[] | undefined
  readonly #options: ResolvedNatsConnectionOptions
  readonly #role: NatsConnectionRole
  readonly #logger: () => Logger
  #nc: NatsConnectionLike | undefined
  #opening: Promise<NatsConnectionLike> | undefined
  #waiters: Array<{ resolve: (nc: NatsConnectionLike) => void; reject: (err: Error) => void }> = []
  #failedAttempts = 0
  #retry: NodeJS.Timeout | undefined
  #closed = false

  /** @param connection a `nats://` URL, several (an array), or a `NatsConnection` of your own */
  constructor(connection: string | readonly string[] | NatsConnectionLike, options: ResolvedNatsConnectionOptions, role: NatsConnectionRole, logger: () => Logger = () => silentLogger) {
    if (typeof connection === 'string' || Array.isArray(connection)) {
      const servers = typeof connection === 'string' ? [connection] : (connection as readonly unknown[])
      if (servers.length === 0 || !servers.every((s) => typeof s === 'string' && s.length > 0)) invalidOption('connection', 'must be a NATS URL, an array of them, or a NatsConnection')
      this.#servers = typeof connection === 'string' ? connection : [...(connection as readonly string[])]
    } else if (typeof (connection as Partial<NatsConnectionLike> | null)?.subscribe === 'function') {
      this.#given = connection as NatsConnectionLike
    } else {
      invalidOption('connection', 'must be a NATS URL, an array of them, or a NatsConnection')
    }
    this.#options = options
    this.#role = role
    this.#logger = logger
  }

  /** Whether the connection is the user's (never closed by gangway). */
  get given(): boolean {
    return this.#given !== undefined
  }

  /** The open connection, once there is one. */
  get current(): NatsConnectionLike | undefined {
    return this.#nc
  }

  /**
   * True while requests should be refused at once: closed, lost, or not
   * reached yet after an attempt failed. False while connected and while an
   * attempt to open it is under way (requests wait for it).
   */
  get down(): boolean {
    if (this.#closed) return true
    if (this.state.current === 'connected') return false
    return this.state.everConnected || (this.#failedAttempts > 0 && this.#opening === undefined)
  }

  /**
   * Opens the connection (once; later calls get the same one). Rejects with
   * `UNAVAILABLE` when this attempt fails; a connection gangway opens itself
   * is then tried again in the background, with backoff.
   */
  open(): Promise<NatsConnectionLike> {
    if (this.#closed) return Promise.reject(closedError())
    this.#opening ??= this.#attempt().catch((err: unknown) => {
      this.#opening = undefined
      this.#failedAttempts++
      this.#retryLater()
      throw err instanceof GatewayError ? err : new GatewayError('UNAVAILABLE', 'Cannot connect to NATS', { cause: err })
    })
    return this.#opening
  }

  /** Resolves once connected for the first time, however many attempts that takes; rejects only if closed first. */
  whenConnected(): Promise<NatsConnectionLike> {
    if (this.#nc !== undefined) return Promise.resolve(this.#nc)
    const connected = new Promise<NatsConnectionLike>((resolve, reject) => this.#waiters.push({ resolve, reject }))
    this.open().catch(() => {}) // a failure schedules the next attempt
    return connected
  }

  /** Drops the socket and reconnects (a half-open TCP connection). */
  reconnect(): void {
    this.#nc?.reconnect().catch(() => {})
  }

  /**
   * Drains and closes a connection gangway opened (a second at most: a server
   * that does not answer is cut). A connection you passed in is left open; the
   * roles remove their own subscriptions from it first. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#retry)
    this.state.set('closed')
    for (const waiter of this.#waiters.splice(0)) waiter.reject(closedError())
    const nc = this.#nc
    if (nc === undefined || this.#given || nc.isClosed()) return
    await settleWithin(nc.drain(), CLOSE_WAIT_MS)
    if (!nc.isClosed()) await nc.close().catch(() => {})
  }

  async #attempt(): Promise<NatsConnectionLike> {
    this.state.retrying()
    const nc =
      this.#given ??
      ((await connect({
        servers: this.#servers,
        name: `gangway-${this.#role.name}`,
        maxReconnectAttempts: -1, // the client's default gives up after 10 attempts
        reconnectTimeWait: this.#options.reconnectTimeWaitMs,
        reconnectJitter: Math.round(this.#options.reconnectTimeWaitMs / 2),
        pingInterval: this.#options.pingIntervalMs,
        maxPingOut: 2,
        timeout: this.#options.connectTimeoutMs,
        noEcho: !this.#role.echo,
        noAsyncTraces: true, // async stack traces cost an Error per request
      })) as NatsConnectionLike)
    try {
      if (this.#closed) throw closedError()
      await this.#role.setup?.(nc)
      if (this.#closed) throw closedError()
    } catch (err) {
      // Tried again from scratch: do not leave this connection open behind the next one.
      if (!this.#given) await nc.close().catch(() => {})
      throw err
    }
    this.#nc = nc
    this.#failedAttempts = 0
    this.state.set('connected')
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(nc)
    void this.#watch(nc)
    return nc
  }

  #retryLater(): void {
    if (this.#closed || this.#given || this.#retry !== undefined) return
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      this.open().catch(() => {}) // a failure schedules the next try
    }, reconnectDelay(this.#failedAttempts, FIRST_CONNECT_BACKOFF))
    this.#retry.unref()
  }

  async #watch(nc: NatsConnectionLike): Promise<void> {
    try {
      for await (const status of nc.status()) {
        if (this.#closed) return
        if (status.type === 'disconnect' || status.type === 'staleConnection') {
          if (this.state.current === 'connected') this.#logger().warn({ broker: 'nats' }, 'lost the NATS connection; reconnecting')
          this.state.retrying()
        } else if (status.type === 'reconnect') {
          this.state.set('connected')
          this.#logger().info({ broker: 'nats' }, 'reconnected to NATS')
        } else if (status.type === 'close') break
      }
    } catch {
      // the iterator ends with the connection
    }
    if (!this.#closed && nc.isClosed()) {
      // Closed for good without us: an auth error, or the user closed the connection they gave.
      this.#logger().error({ broker: 'nats' }, 'the NATS connection closed for good')
      this.state.set('disconnected')
    }
  }
}

function closedError(): GatewayError {
  return new GatewayError('UNAVAILABLE', 'The NATS connection is closed')
}
