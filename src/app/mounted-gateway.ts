import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { Connection, type ConnectionEventSink, type ConnectionHost, type ConnectionSettings } from '../connection/connection.js'
import type { ConnectionGuard } from '../contracts/guards.js'
import type { HandshakeContext } from '../contracts/handshake.js'
import type { GatewayDefinition } from '../definition/gateway-definition.js'
import type { Dispatcher } from '../dispatch/dispatcher.js'
import { RouteTable } from '../dispatch/route-table.js'
import { loggableError, type Logger } from '../logging/logger.js'
import type { ResolvedOptions } from '../options/gateway-options.js'
import { helloFrame, PROTOCOL } from '../protocol/hello.js'
import type { NamespaceRegistry } from '../registry/namespace-registry.js'
import type { AddressLimiter } from '../upgrade/address-limiter.js'
import type { HandshakeRateLimiter } from '../upgrade/handshake-rate-limiter.js'
import { createHandshakeContext } from '../upgrade/handshake-context.js'
import { isOriginAllowed } from '../upgrade/origin-policy.js'
import { rejectUpgrade } from '../upgrade/reject-upgrade.js'
import { runConnectionGuards } from '../upgrade/run-connection-guards.js'
import { SessionExpiry } from '../upgrade/session-expiry.js'
import type { UpgradeTarget } from '../upgrade/upgrade-router.js'

const RETRY_LATER: Readonly<Record<string, string>> = Object.freeze({ 'Retry-After': '1' })

/** What a mounted gateway needs from its app. */
export interface GatewayHost extends ConnectionHost {
  readonly options: ResolvedOptions
  readonly dispatcher: Dispatcher
  /** Per-address socket counts shared by the app's gateways, when `maxConnectionsPerAddress` is set. */
  readonly addressLimiter: AddressLimiter | undefined
  /** Per-address handshake rate shared by the app's gateways, unless `handshakeRateLimit` is false. */
  readonly handshakeRateLimiter: HandshakeRateLimiter | undefined
  /** Where gateways with `connectionEvents` report their connections' lifecycle. */
  readonly connectionEvents: ConnectionEventSink | undefined
  nextConnectionId(): string
}

/**
 * `ws`'s server settings. `perMessageDeflate` must stay off: replies and
 * broadcasts are framed once by gangway and written to the socket as they are
 * (protocol/text-frame.ts), which a compressed connection could not read.
 */
export function webSocketServerOptions(options: ResolvedOptions): ConstructorParameters<typeof WebSocketServer>[0] {
  return {
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: options.limits.maxPayload,
    maxFragments: options.limits.maxFragments,
    maxBufferedChunks: options.limits.maxBufferedChunks,
    closeTimeout: options.closeTimeoutMs,
    // Echo gangway's protocol when offered, never anything else (a token riding the header, say).
    handleProtocols: (protocols: Set<string>) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
  } as ConstructorParameters<typeof WebSocketServer>[0]
}

/**
 * One gateway mounted at its path: the upgrade pipeline (origin → connection
 * guards → context capture → upgrade) and the settings its connections share.
 */
export class MountedGateway implements UpgradeTarget {
  readonly routes: RouteTable
  readonly #host: GatewayHost
  readonly #wss: WebSocketServer
  readonly #guards: readonly ConnectionGuard[]
  readonly #expiry: SessionExpiry | undefined
  readonly #settings: ConnectionSettings

  constructor(
    host: GatewayHost,
    readonly definition: GatewayDefinition,
    registry: NamespaceRegistry<Connection>,
  ) {
    this.#host = host
    const { options } = host
    this.#guards = [...new Set([...options.connectionGuards, ...definition.connectionGuards])]
    // Only connection guards produce principals, so only then can credentials expire.
    this.#expiry = options.sessionExpiry && this.#guards.length > 0 ? new SessionExpiry(options.sessionExpiry, options.logger) : undefined
    this.routes = new RouteTable(definition, this.#expiry ? [this.#expiry.guard, ...options.messageGuards] : options.messageGuards)
    this.#settings = Object.freeze({
      path: definition.path,
      registry,
      routes: this.routes,
      dispatcher: host.dispatcher,
      onConnect: definition.onConnect,
      onDisconnect: definition.onDisconnect,
      limits: options.limits,
      outbox: options.outbox,
      rateLimit: options.rateLimit,
      closeTimeoutMs: options.closeTimeoutMs,
      observer: options.observer,
      logger: options.logger,
      ambient: options.context !== undefined,
      host,
      events: definition.connectionEvents ? host.connectionEvents : undefined,
    })
    this.#wss = new WebSocketServer(webSocketServerOptions(options))
  }

  get rejectUnknownPaths(): boolean {
    return this.#host.options.rejectUnknownPaths
  }

  get #logger(): Logger {
    return this.#host.options.logger
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, path: string, rawQuery: string): void {
    if (this.#host.draining) return this.#reject(socket, 503)
    const { options } = this.#host
    const address = this.#clientAddress(request)
    // First and cheapest: a flood from one address is refused before anything else runs.
    const wait = address === undefined ? 0 : (this.#host.handshakeRateLimiter?.take(address) ?? 0)
    if (wait > 0) {
      this.#logger.debug({ path, remoteAddress: address, retryAfterSeconds: wait }, 'upgrade rejected: too many handshakes from this address')
      return this.#reject(socket, 429, { 'Retry-After': String(wait) })
    }
    const limiter = this.#host.addressLimiter
    if (limiter !== undefined && address !== undefined && !limiter.tryAcquire(address, socket)) {
      this.#logger.debug({ path, remoteAddress: address }, 'upgrade rejected: too many connections from this address')
      return this.#reject(socket, 429, RETRY_LATER)
    }
    if (!isOriginAllowed(options.origins, options.allowMissingOrigin, request)) {
      this.#logger.info({ origin: request.headers.origin, path, remoteAddress: address }, 'upgrade rejected: origin not allowed')
      return this.#reject(socket, 403)
    }
    const handshake = createHandshakeContext(request, path, rawQuery, this.definition, address)
    // Without connection guards nothing is awaited: the upgrade completes in this call, no promise made.
    if (this.#guards.length === 0) return this.#upgrade(request, socket, head, handshake, address)
    runConnectionGuards(this.#guards, handshake, options.handshakeTimeoutMs, this.#logger).then(
      (status) => (status !== 0 ? this.#reject(socket, status) : this.#upgrade(request, socket, head, handshake, address)),
      (err: unknown) => {
        this.#logger.error({ path, remoteAddress: request.socket.remoteAddress, err: loggableError(err) }, 'upgrade failed')
        this.#reject(socket, 500)
      },
    )
  }

  /** Completes an upgrade the guards admitted: expiry, context capture, then the WebSocket handshake. */
  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, handshake: HandshakeContext & { user: unknown }, address: string | undefined): void {
    const { options } = this.#host
    const { path } = handshake
    const deadline = this.#expiry?.deadlineOf(handshake.user)
    if (deadline !== undefined && deadline <= Date.now()) {
      this.#logger.info({ path, remoteAddress: address }, 'upgrade rejected: credentials already expired')
      return this.#reject(socket, 401)
    }
    if (socket.destroyed) return
    if (this.#host.draining) return this.#reject(socket, 503)
    let context: unknown
    try {
      context = options.context?.(handshake)
    } catch (err) {
      this.#logger.error({ path, remoteAddress: request.socket.remoteAddress, err: loggableError(err) }, 'context capture failed')
      return this.#reject(socket, 500)
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, socket, handshake.user, context, address, deadline))
  }

  #reject(socket: Duplex, status: number, headers?: Readonly<Record<string, string>>): void {
    this.#host.options.observer?.upgradeRejected?.(this.definition.path, status)
    rejectUpgrade(socket, status, headers)
  }

  #clientAddress(request: IncomingMessage): string | undefined {
    try {
      return this.#host.options.clientAddress(request) ?? request.socket.remoteAddress
    } catch (err) {
      this.#logger.error({ err }, 'the clientAddress option threw; using the TCP peer address')
      return request.socket.remoteAddress
    }
  }

  #accept(ws: WebSocket, socket: Duplex, user: unknown, context: unknown, address: string | undefined, deadline: number | undefined): void {
    const { options } = this.#host
    const connection = new Connection(
      {
        id: this.#host.nextConnectionId(),
        ws,
        socket,
        user,
        userId: user === undefined ? undefined : options.userId(user),
        context,
        remoteAddress: address,
      },
      this.#settings,
    )
    this.#expiry?.watch(connection, socket, deadline)
    const hello = options.hello
      ? helloFrame(connection, this.routes.events(), { maxPayload: options.limits.maxPayload, heartbeatMs: options.heartbeat ? options.heartbeat.intervalMs : null })
      : undefined
    connection.open(hello)
  }

  /** Closes the ws server object (connections are closed by the app). */
  close(): void {
    this.#wss.close()
  }
}
