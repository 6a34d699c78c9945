import { createServer, type Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { GatewayError } from '../errors/gateway-error.js'
import { inMemoryAdapter, type Adapter } from '../cluster/adapter.js'
import type { Connection } from '../connection/connection.js'
import { ConnectionIds, randomNodeId } from '../connection/connection-id.js'
import type { GatewayDefinition } from '../definition/gateway-definition.js'
import { Dispatcher } from '../dispatch/dispatcher.js'
import type { Logger } from '../logging/logger.js'
import type { ResolvedOptions } from '../options/gateway-options.js'
import { NamespaceRegistry } from '../registry/namespace-registry.js'
import { NamespaceServer } from '../registry/namespace-server.js'
import type { Server } from '../registry/server.js'
import { UpgradeRouter } from '../transport/upgrade-router.js'
import { MountedGateway, type GatewayHost } from './mounted-gateway.js'
import { GatewayBridge } from '../bridge/gateway-bridge.js'
import { inProcessTransport } from '../bridge/in-process-transport.js'

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
  readonly #ids: ConnectionIds
  readonly #adapter: Adapter
  readonly #mounts: readonly MountedGateway[]
  readonly #namespaces = new Map<string, NamespaceRegistry<Connection>>()
  readonly #connections = new Set<Connection>()
  readonly #routers = new Set<UpgradeRouter>()
  readonly #attached = new Set<HttpServer | HttpsServer>()
  readonly #emptyWaiters: Array<() => void> = []
  readonly #bridge: GatewayBridge | undefined
  #ownedServer: HttpServer | undefined
  #heartbeat: NodeJS.Timeout | undefined
  #draining = false
  #closing: Promise<void> | undefined

  constructor(options: ResolvedOptions, definitions: readonly GatewayDefinition[]) {
    this.options = options
    this.nodeId = options.nodeId ?? randomNodeId()
    this.#ids = new ConnectionIds(this.nodeId)
    this.#adapter = options.adapter ?? inMemoryAdapter()
    this.dispatcher = new Dispatcher(options.logger, options.context !== undefined, options.observer)
    const forwards = definitions.some((definition) => GatewayBridge.forwards(definition))
    if (options.transport !== undefined || forwards) {
      const transport = options.transport ?? inProcessTransport({ logger: options.logger })
      const bridge = new GatewayBridge(transport, this.nodeId, (ns, target, frame) => this.#namespaces.get(ns)?.deliverLocal(target, frame) ?? 0, options.logger, options.transport === undefined)
      this.#bridge = bridge
      definitions = definitions.map((definition) => bridge.bind(definition))
      bridge.open().catch(() => {}) // logged by the bridge; requests answer UNAVAILABLE meanwhile
    }
    this.#mounts = Object.freeze(definitions.map((definition) => new MountedGateway(this, definition, this.#registry(definition.namespace))))
    if (options.heartbeat) {
      this.#heartbeat = setInterval(() => this.#beat(), options.heartbeat.intervalMs)
      this.#heartbeat.unref()
    }
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

  /** Open connections across every gateway of this app on this node. */
  get connectionCount(): number {
    return this.#connections.size
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

  /** Starts an HTTP server of its own on `port` (0 for any free port) and mounts the gateways there. */
  async listen(port: number, host?: string): Promise<AddressInfo> {
    if (this.#ownedServer) throw new GatewayError('CONFIG_INVALID', 'listen() was already called on this app')
    const server = createServer((_request, response) => {
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
  }

  closedConnection(connection: Connection): void {
    this.#connections.delete(connection)
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
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    for (const router of this.#routers) for (const mount of this.#mounts) router.unmount(mount.definition.path, mount)
    for (const mount of this.#mounts) mount.close()
    await this.#adapter.close()
    await this.#bridge?.close().catch((err: unknown) => this.logger.warn({ err }, 'closing the bridge failed'))
    owned?.closeAllConnections()
    await serverClosed
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
      this.#namespaces.set(namespace, registry)
    }
    return registry
  }

  #beat(): void {
    for (const connection of this.#connections) {
      if (!connection.alive) {
        this.logger.info({ connectionId: connection.id, userId: connection.userId }, 'no pong since the last ping; terminating')
        connection.terminate()
      } else {
        connection.alive = false
        connection.ping()
      }
    }
  }
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
    timer.unref()
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
