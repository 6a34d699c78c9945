import type { HistoryRange, HistoryReadRequest, HistoryStore, LiveEntry, RoomHistoryConfig } from '../contracts/history.js'
import { GatewayError } from '../errors/gateway-error.js'
import { loggableError, type Logger } from '../logging/logger.js'
import type { NamespaceRegistry, RegisteredConnection } from '../registry/namespace-registry.js'
import { emptyHistoryStats, type HistoryStats } from './history-stats.js'
import type { HistoryContext } from './history-context.js'
import type { ResolvedHistoryOptions } from './history-options.js'
import { NamespaceHistory } from './namespace-history.js'
import { ReplayBatches } from './replay-batches.js'
import { ReplayGate } from './replay-gate.js'

/** At most one warning about unsaved messages per this interval. */
const UNSAVED_LOG_INTERVAL_MS = 5000

/**
 * A gateway app's history: the store, the replay gate and the counters its namespaces share.
 * It starts the store and routes the store's entries to the namespace they belong to.
 */
export class HistoryEngine implements HistoryContext {
  readonly store: HistoryStore
  readonly options: ResolvedHistoryOptions
  readonly logger: Logger
  readonly gate: ReplayGate
  readonly batches: ReplayBatches
  readonly stats: HistoryStats = emptyHistoryStats()
  readonly #namespaces = new Map<string, NamespaceHistory<RegisteredConnection>>()
  #started: Promise<void> | undefined
  #closing: Promise<void> | undefined
  #unsavedLoggedAt = 0

  constructor(store: HistoryStore, options: ResolvedHistoryOptions, logger: Logger) {
    this.store = store
    this.options = options
    this.logger = logger
    this.gate = new ReplayGate(options.maxConcurrentReplays, options.maxQueuedReplays)
    this.batches = new ReplayBatches(this.gate, options.maxQueuedReplays, (namespace, room, request, config) => this.read(namespace, room, request, config))
  }

  /** Gives a namespace its history (`registry.useHistory`). */
  attach<C extends RegisteredConnection>(registry: NamespaceRegistry<C>): NamespaceHistory<C> {
    const history = new NamespaceHistory<C>(registry, this)
    this.#namespaces.set(registry.name, history as unknown as NamespaceHistory<RegisteredConnection>)
    registry.useHistory(history)
    void this.start()
    return history
  }

  /** Starts the store once; a store that fails to start is logged, and its reads and appends fail as they come. */
  start(): Promise<void> {
    this.#started ??= this.store.start({
      entry: (namespace, room, entry) => this.#deliver(namespace, room, entry),
      interrupted: () => {
        for (const history of this.#namespaces.values()) history.interrupted()
      },
      logger: this.logger,
    }).catch((err: unknown) => {
      if (this.#closing === undefined) this.logger.error({ store: this.store.name, err: loggableError(err) }, 'history store failed to start')
    })
    return this.#started
  }

  /** Subscribes this node to a room's entries, waiting at most `readTimeoutMs` (a store that is away does not hold joins). */
  async subscribe(namespace: string, room: string): Promise<void> {
    try {
      await this.#bounded(this.start().then(() => this.store.subscribe(namespace, room)), 'subscribe')
    } catch (err) {
      this.logger.warn({ store: this.store.name, namespace, room, err: loggableError(err) }, 'history subscription not confirmed; continuing')
    }
  }

  /** A store read, bounded by `readTimeoutMs`. */
  read(namespace: string, room: string, request: HistoryReadRequest, config: RoomHistoryConfig): Promise<HistoryRange> {
    return this.#bounded(this.start().then(() => this.store.read(namespace, room, request, config)), 'read')
  }

  warnUnsaved(namespace: string, room: string, err: unknown): void {
    const now = Date.now()
    if (now - this.#unsavedLoggedAt < UNSAVED_LOG_INTERVAL_MS) return
    this.#unsavedLoggedAt = now
    this.logger.warn(
      { store: this.store.name, namespace, room, unsaved: this.stats.unsaved, err: loggableError(err) },
      'history store could not take a message: not sent; members of the room hear recovered: false before its next message',
    )
  }

  close(): Promise<void> {
    this.#closing ??= this.store.close()
    return this.#closing
  }

  #deliver(namespace: string, room: string, entry: LiveEntry): void {
    this.#namespaces.get(namespace)?.deliver(room, entry)
  }

  #bounded<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GatewayError('TIMEOUT', `history ${what} took longer than ${this.options.readTimeoutMs} ms`)), this.options.readTimeoutMs)
      timer.unref()
    })
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
  }
}
