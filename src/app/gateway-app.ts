import { createServer, type Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { ConnectionEventPublisher } from '../bridge/connection-events.js'
import { GatewayBridge } from '../bridge/gateway-bridge.js'
import { inProcessTransport } from '../bridge/in-process-transport.js'
import type { Connection, ConnectionEventSink } from '../connection/connection.js'
import { ClusterAdapter } from '../cluster/cluster-adapter.js'
import { ConnectionIds, randomNodeId } from '../connection/connection-id.js'
import { Heartbeat } from '../connection/heartbeat.js'
import type { Server } from '../contracts/client-server.js'
import type { HistoryStore } from '../contracts/history.js'
import type { GatewayDefinition } from '../definition/gateway-definition.js'
import { Dispatcher } from '../dispatch/dispatcher.js'
import { GatewayError } from '../errors/gateway-error.js'
import type { Logger } from '../logging/logger.js'
import { type BrokerState, reportsBrokerState, reportsMessageLoss } from '../broker/broker-state.js'
import type { ResolvedOptions } from '../options/gateway-options.js'
import { type Adapter, inMemoryAdapter } from '../registry/namespace-adapter.js'
import { HistoryEngine } from '../history/history-engine.js'
import type { HistoryStats } from '../history/history-stats.js'
import { MemoryHistoryStore } from '../history/memory-history-store.js'
import { NamespaceRegistry } from '../registry/namespace-registry.js'
import { NamespaceServer } from '../registry/namespace-server.js'
import { AddressLimiter } from '../upgrade/address-limiter.js'
import { HandshakeRateLimiter } from '../upgrade/handshake-rate-limiter.js'
import { UpgradeRouter } from '../upgrade/upgrade-router.js'
import { type GatewayHost, MountedGateway } from './mounted-gateway.js'

/** Options of `app.close()`. */
export interface CloseOptions {
  /** How long to wait for in-flight handlers. @default the app's `shutdownTimeoutMs` */
  timeoutMs?: number
}

/**
 * A set of gateways ready to mount on HTTP(S) servers. Create it with
 * `createGateway`, then `attach(server)` or `listen(port)`.
 */
export class GatewayApp implements GatewayHost {
  readonly nodeId: string
  readonly options: ResolvedOptions
  readonly dispatcher: Dispatcher
  readonly addressLimiter: AddressLimiter | undefined
  readonly handshakeRateLimiter: HandshakeRateLimiter | undefined
  readonly #ids: ConnectionIds
  readonly #adapter: Adapter
  readonly #mounts: readonly MountedGateway[]
  readonly #namespaces = new Map<string, NamespaceRegistry<Connection>>()
  readonly #connections = new Set<Connection>()
  readonly #routers = new Set<UpgradeRouter>()
  readonly #attached = new Set<HttpServer | HttpsServer>()
  readonly #emptyWaiters: Array<() => void> = []
  readonly #brokers = new Map<string, BrokerState>()
  readonly #bridge: GatewayBridge | undefined
  readonly #connectionEvents: ConnectionEventPublisher | undefined
  readonly #history: HistoryEngine | undefined
  #ownedServer: HttpServer | undefined
  readonly #heartbeat: Heartbeat<Connection> | undefined
  #draining = false
  #closing: Promise<void> | undefined

  constructor(options: ResolvedOptions, definitions: readonly GatewayDefinition[]) {
    this.options = options
    this.nodeId = options.nodeId ?? randomNodeId()
    this.#ids = new ConnectionIds(this.nodeId)
    this.#adapter = options.adapter ?? inMemoryAdapter()
    this.dispatcher = new Dispatcher(options.logger, options.context !== undefined, options.observer)
    if (reportsBrokerState(this.#adapter)) this.#adapter.reportBrokerStateTo(this.reportBrokerState)
    if (reportsMessageLoss(this.#adapter) && options.observer?.messagesLost) {
      const observer = options.observer
      this.#adapter.reportLossTo((component, kind, count) => observer.messagesLost?.(component, kind, count))
    }
    if (options.history !== undefined) this.#history = new HistoryEngine(this.#historyStore(options), options.history, options.logger)
    this.addressLimiter = options.maxConnectionsPerAddress === false ? undefined : new AddressLimiter(options.maxConnectionsPerAddress)
    this.handshakeRateLimiter = options.handshakeRateLimit === false ? undefined : new HandshakeRateLimiter(options.handshakeRateLimit)
    const forwards = definitions.some((definition) => GatewayBridge.forwards(definition))
    const publishes = definitions.some((definition) => definition.connectionEvents)
    if (options.transport !== undefined || forwards || publishes) {
      const transport = options.transport ?? inProcessTransport({ logger: options.logger })
      const bridge = new GatewayBridge(transport, this.nodeId, (ns, target, frame) => this.#namespaces.get(ns)?.deliverLocal(target, frame) ?? 0, options.logger, options.transport === undefined)
      this.#bridge = bridge
      // Reported as `bridge:<kind>`, like the cluster adapter: health (readiness) and metrics see it.
      if (reportsBrokerState(transport)) transport.reportBrokerStateTo(this.reportBrokerState)
      definitions = definitions.map((definition) => bridge.bind(definition))
      bridge.open().catch(() => {}) // logged by the bridge; requests answer UNAVAILABLE meanwhile
      if (publishes) this.#connectionEvents = this.#publishConnectionEvents(transport)
    }
    this.#mounts = Object.freeze(definitions.map((definition) => new MountedGateway(this, definition, this.#registry(definition.namespace))))
    this.#heartbeat = options.heartbeat ? new Heartbeat(options.heartbeat, options.logger) : undefined
  }

  get logger(): Logger {
    return this.options.logger
  }

  /** True once `close()` was called. */
  get draining(): boolean {
    return this.#draining
  }

  /** The microservice bridge's transport, when the app has one (`transport` option, or forwarded handlers). */
  get transport(): GatewayBridge['transport'] | undefined {
    return this.#bridge?.transport
  }

  /**
   * Resolves once what the app connects to in the background is ready: the
   * bridge's inbox and broadcast subscription. Rejects if the broker cannot be
   * reached (the app keeps serving and retries on its own).
   */
  async ready(): Promise<void> {
    await this.#bridge?.open()
  }

  /** Where gateways with `connectionEvents` report their connections' lifecycle. */
  get connectionEvents(): ConnectionEventSink | undefined {
    return this.#connectionEvents
  }

  /** Counters of message history on this node, when the app has a `history` option. */
  historyStats(): HistoryStats | undefined {
    const stats = this.#history?.stats
    return stats === undefined ? undefined : { ...stats, notRecovered: { ...stats.notRecovered } }
  }

  /** Open connections across every gateway of this app on this node. */
  get connectionCount(): number {
    return this.#connections.size
  }

  /** The latest state of each broker connection reported to this app (see `reportBrokerState`). */
  get brokers(): ReadonlyMap<string, BrokerState> {
    return this.#brokers
  }

  /**
   * Records a broker connection's state for health checks and passes it to the
   * observers. Cluster adapters and bridge transports that implement
   * `ReportsBrokerState` are wired to it automatically; call it for any other
   * dependency the gateway cannot serve without.
   */
  readonly reportBrokerState = (component: string, state: BrokerState): void => {
    if (this.#brokers.get(component) === state) return
    this.#brokers.set(component, state)
    this.options.observer?.brokerState?.(component, state)
  }

  /** Mounted gateways' definitions. */
  get gateways(): readonly GatewayDefinition[] {
    return this.#mounts.map((mount) => mount.definition)
  }

  /**
   * Mounts every gateway on an existing HTTP or HTTPS server (plain `http`,
   * Express's or Fastify's): the gateways share its port and TLS.
   */
  attach(server: HttpServer | HttpsServer): this {
    if (this.#closing) throw new GatewayError('CLOSED', 'This gateway app is closed')
    if (this.#attached.has(server)) return this
    const router = UpgradeRouter.for(server as HttpServer)
    const mounted: MountedGateway[] = []
    try {
      for (const mount of this.#mounts) {
        router.mount(mount.definition.path, mount)
        mounted.push(mount)
      }
    } catch (err) {
      for (const mount of mounted) router.unmount(mount.definition.path, mount)
      throw err
    }
    this.#routers.add(router)
    this.#attached.add(server)
    return this
  }

  /**
   * Starts an HTTP server of its own on `port` (0 for any free port) and mounts
   * the gateways there. Its requests must finish their headers within
   * `headersTimeoutMs` (Node's own default is 60 s, checked every 30 s), so
   * slow-loris upgrade requests are dropped.
   */
  async listen(port: number, host?: string): Promise<AddressInfo> {
    if (this.#ownedServer) throw new GatewayError('CONFIG_INVALID', 'listen() was already called on this app')
    const timeout = this.options.headersTimeoutMs
    const limits = { headersTimeout: timeout, requestTimeout: timeout, connectionsCheckingInterval: Math.min(1000, timeout) }
    const server = createServer(limits, (_request, response) => {
      response.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket' })
      response.end('Upgrade Required')
    })
    this.#ownedServer = server
    this.attach(server)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    return server.address() as AddressInfo
  }

  /** The push API of a namespace. @default the default namespace '/' */
  server(namespace = '/'): Server {
    const registry = this.#namespaces.get(namespace)
    if (!registry) throw new GatewayError('INVALID_ARGUMENT', `No gateway is mounted in namespace ${JSON.stringify(namespace)}`)
    return registry.server
  }

  /**
   * Shuts down gracefully: refuses new connections (503) and new frames
   * (`UNAVAILABLE`), lets in-flight handlers finish up to `timeoutMs`, then
   * closes every socket with 1001 so clients reconnect elsewhere. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#shutdown(options.timeoutMs ?? this.options.shutdownTimeoutMs)
    return this.#closing
  }

  nextConnectionId(): string {
    return this.#ids.next()
  }

  opened(connection: Connection): void {
    this.#connections.add(connection)
    this.#heartbeat?.add(connection)
  }

  closed(connection: Connection): void {
    this.#connections.delete(connection)
    this.#heartbeat?.remove(connection)
    if (this.#connections.size === 0) for (const resolve of this.#emptyWaiters.splice(0)) resolve()
  }

  async #shutdown(timeoutMs: number): Promise<void> {
    this.#draining = true
    const owned = this.#ownedServer
    const serverClosed = owned ? new Promise<void>((resolve) => owned.close(() => resolve())) : Promise.resolve()
    await withTimeout(this.dispatcher.idle(), timeoutMs)
    for (const connection of this.#connections) connection.close(1001, 'Server shutting down')
    // Connections close once their peers answer; those that do not are terminated by their close timer.
    await withTimeout(this.#allClosed(), this.options.closeTimeoutMs + 1000)
    for (const connection of this.#connections) connection.terminate()
    await withTimeout(this.#allClosed(), 1000)
    this.#heartbeat?.stop()
    for (const router of this.#routers) for (const mount of this.#mounts) router.unmount(mount.definition.path, mount)
    for (const mount of this.#mounts) mount.close()
    await this.#history?.close().catch((err: unknown) => this.logger.warn({ err }, 'closing the history store failed'))
    await this.#adapter.close()
    // The connections' `disconnected` events go out before the transport closes.
    await this.#connectionEvents?.flush(this.options.closeTimeoutMs)
    await this.#bridge?.close().catch((err: unknown) => this.logger.warn({ err }, 'closing the bridge failed'))
    owned?.closeAllConnections()
    await serverClosed
  }

  /**
   * The publisher of connection events. With a cluster adapter, a node that dies
   * without closing its connections is reported once, as `nodeLost`, by the
   * surviving node with the lowest id (each survivor knows the others from the
   * cluster's heartbeats; services deduplicate the rare second report).
   */
  #publishConnectionEvents(transport: GatewayBridge['transport']): ConnectionEventPublisher {
    const publisher = new ConnectionEventPublisher(transport, this.nodeId, this.logger)
    const adapter = this.#adapter
    if (adapter instanceof ClusterAdapter) {
      adapter.on('nodeLeft', (nodeId, why) => {
        if (why !== 'silent' || this.#draining) return
        const reporter = [this.nodeId, ...adapter.nodes()].sort()[0]
        if (reporter === this.nodeId) publisher.nodeLost(nodeId)
      })
    }
    return publisher
  }

  /** The `history.store` option, else the cluster's store, else memory (one node, no cluster). */
  #historyStore(options: ResolvedOptions): HistoryStore {
    if (options.history?.store !== undefined) return options.history.store
    const store = this.#adapter.historyStore?.()
    if (store !== undefined) return store
    if (this.#adapter instanceof ClusterAdapter) {
      throw new GatewayError('CONFIG_INVALID', `Option "history" needs a store that spans the cluster: the ${this.#adapter.bus.name} bus has none, pass history.store`)
    }
    return new MemoryHistoryStore()
  }

  #allClosed(): Promise<void> {
    if (this.#connections.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#emptyWaiters.push(resolve))
  }

  #registry(namespace: string): NamespaceRegistry<Connection> {
    let registry = this.#namespaces.get(namespace)
    if (!registry) {
      registry = new NamespaceRegistry<Connection>(namespace, this.nodeId)
      registry.useAdapter(this.#adapter.attach(registry))
      registry.server = new NamespaceServer(registry)
      this.#history?.attach(registry)
      this.#namespaces.set(namespace, registry)
    }
    return registry
  }
}

// The timer is not unref'd: a shutdown must settle, even when a handler that never settles
// is all that is left in the process, so it holds the loop open for at most `ms`.
function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
