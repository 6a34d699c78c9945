import { Redis } from 'ioredis'
import { BrokerStateTracker, GatewayError, invalidOption, reconnectDelay, settleWithin, silentLogger, type Logger, type ReconnectBackoff } from '../internal.js'
import type { RedisClientLike, RedisConnectionLike, RedisConnectionSettings } from './redis-client-like.js'
import type { ResolvedRedisConnectionOptions } from './redis-options.js'

/** How one client of a role behaves; everything else about it is the broker connection's. */
export interface RedisClientRole {
  /** For logs and `CLIENT SETNAME` (`gangway-<name>`), e.g. `cluster-pub`. */
  readonly name: string
  /** Counts towards the state from the start, not only once it was ready: a client the role cannot work without. */
  readonly required: boolean
  /** Queue commands while disconnected: only where they stay bounded (one blocking read, the subscriptions). */
  readonly offlineQueue: boolean
  /** Attempts of one command across reconnects (`null`: until it succeeds). */
  readonly retriesPerRequest: number | null
  /** Re-send the commands a dropped connection left unanswered. */
  readonly resendUnanswered: boolean
  /** Let ioredis subscribe again after a reconnect (off when `setup` does it). */
  readonly resubscribe: boolean
  /** Close with QUIT (commands already written go out first), or cut the socket (a client parked in a blocking read would hold QUIT up). */
  readonly quitOnClose: boolean
  /** Let ioredis send the commands of one tick in one write (for one script call per message, which nothing else batches). */
  readonly autoPipelining?: boolean
  /** Runs after each (re)connect, before the client counts as ready; a rejection waits for the next reconnect. */
  readonly setup?: (client: RedisConnectionLike) => Promise<void>
}

interface ClientInfo {
  readonly role: RedisClientRole
  /** Connected, and its setup done. */
  up: boolean
  /** Was up once: from then on it counts towards the state. */
  wasUp: boolean
}

/** How long QUIT may take at close before the socket is cut. */
const CLOSE_WAIT_MS = 1000

/**
 * One broker connection to Redis, for a cluster bus or a bridge link: opens
 * the clients they ask for (duplicates of the user's ioredis client, or new
 * ones from a URL) with the settings gangway needs — reconnect forever with
 * backoff and jitter, no offline queue unless bounded, no auto-pipelining —
 * tracks their state as one (`connected` when every client that counts is
 * ready), logs their errors, and closes what it opened. The user's own
 * client is never used for commands and never closed.
 */
export class RedisBrokerConnection {
  readonly state = new BrokerStateTracker()
  readonly #target: string | RedisClientLike
  readonly #backoff: ReconnectBackoff
  readonly #owner: string
  readonly #logger: () => Logger
  readonly #clients = new Map<RedisConnectionLike, ClientInfo>()
  #lastError: Error | undefined
  #closed = false

  /**
   * @param connection a `redis://` / `rediss://` URL, or an ioredis client to duplicate
   * @param owner `cluster` or `bridge`: names the clients (`gangway-cluster-pub`)
   */
  constructor(connection: string | RedisClientLike, options: ResolvedRedisConnectionOptions, owner: string, logger: () => Logger = () => silentLogger) {
    if (!(typeof connection === 'string' && connection.length > 0) && typeof (connection as Partial<RedisClientLike> | null)?.duplicate !== 'function') {
      invalidOption('connection', 'must be a Redis URL or an ioredis client')
    }
    this.#target = connection
    this.#backoff = { initialDelayMs: 100, maxDelayMs: options.maxReconnectDelayMs, jitter: 0.5 }
    this.#owner = owner
    this.#logger = logger
  }

  get closed(): boolean {
    return this.#closed
  }

  /** A new client of `role`; it starts connecting at `connect()`. Closed with the connection. */
  open(role: RedisClientRole): RedisConnectionLike {
    if (this.#closed) throw new GatewayError('CLOSED', 'This Redis connection is closed')
    const settings: RedisConnectionSettings = {
      lazyConnect: true,
      enableOfflineQueue: role.offlineQueue,
      autoResubscribe: role.resubscribe,
      autoResendUnfulfilledCommands: role.resendUnanswered,
      maxRetriesPerRequest: role.retriesPerRequest,
      // The bus and the bridge batch their own writes; ioredis's batching on top halved bridge throughput.
      enableAutoPipelining: role.autoPipelining ?? false,
      connectionName: `gangway-${this.#owner}-${role.name}`,
      // Never null, so ioredis never gives up.
      retryStrategy: (attempt) => reconnectDelay(attempt, this.#backoff),
    }
    const client = typeof this.#target === 'string' ? new Redis(this.#target, settings) : this.#target.duplicate(settings)
    const info: ClientInfo = { role, up: false, wasUp: false }
    this.#clients.set(client, info)
    client.on('error', (err) => {
      this.#lastError = err
      this.#logger().warn({ broker: 'redis', role: role.name, err }, 'Redis connection error')
    })
    client.on('reconnecting', () => this.#logger().info({ broker: 'redis', role: role.name }, 'reconnecting to Redis'))
    client.on('ready', () => void this.#ready(client, info))
    for (const event of ['close', 'end'] as const) {
      client.on(event, () => {
        info.up = false
        this.#update()
      })
    }
    this.#update()
    return client
  }

  /** Starts connecting `client`; a refused attempt is retried by ioredis itself. */
  connect(client: RedisConnectionLike): void {
    if (client.status === 'wait') client.connect().catch(() => {})
  }

  /** Whether `client` is connected and set up. */
  isUp(client: RedisConnectionLike): boolean {
    return this.#clients.get(client)?.up === true
  }

  /**
   * Resolves once `client` is ready. Rejects with `UNAVAILABLE` when an attempt
   * fails or after `timeoutMs`; the client goes on reconnecting in the background.
   */
  ready(client: RedisConnectionLike, timeoutMs: number): Promise<void> {
    this.connect(client)
    if (client.status === 'ready') return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup()
        reject(new GatewayError('UNAVAILABLE', `Redis did not answer within ${timeoutMs} ms`))
      }, timeoutMs)
      const onReady = () => {
        cleanup()
        resolve()
      }
      const onError = (err: Error) => {
        cleanup()
        reject(new GatewayError('UNAVAILABLE', 'Cannot connect to Redis', { cause: err }))
      }
      const cleanup = () => {
        clearTimeout(timer)
        client.off('ready', onReady)
        client.off('error', onError)
      }
      client.on('ready', onReady)
      client.on('error', onError)
    })
  }

  /** A round trip on every client; rejects or hangs if one is dead. */
  async ping(): Promise<void> {
    await Promise.all([...this.#clients.keys()].map((client) => client.ping()))
  }

  /** Drops every client's socket and reconnects (a half-open TCP connection). */
  reconnect(): void {
    if (this.#closed) return
    for (const client of this.#clients.keys()) client.disconnect(true)
  }

  /** Closes every client this connection opened; QUIT gets a second at most. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.state.set('closed')
    await Promise.all(
      [...this.#clients].map(async ([client, info]) => {
        if (info.role.quitOnClose) await settleWithin(client.quit(), CLOSE_WAIT_MS)
        client.disconnect(false)
      }),
    )
  }

  async #ready(client: RedisConnectionLike, info: ClientInfo): Promise<void> {
    try {
      await info.role.setup?.(client)
    } catch {
      return // the connection dropped during setup; the next 'ready' runs it again
    }
    if (this.#closed || client.status !== 'ready') return
    info.up = true
    info.wasUp = true
    this.#update()
  }

  /** Connected when every client that counts is up: the required ones, and any that was up before. */
  #update(): void {
    if (this.#closed) return
    let counted = 0
    let down = false
    for (const info of this.#clients.values()) {
      if (!info.role.required && !info.wasUp) continue
      counted++
      if (!info.up) down = true
    }
    if (counted > 0 && !down) this.state.set('connected')
    else this.state.retrying(this.#lastError)
  }
}
